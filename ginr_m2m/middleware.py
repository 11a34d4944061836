class HeadWithoutBodyMiddleware:
    """Send no body with a HEAD response.

    Django renders HEAD like GET; gunicorn then drops the body itself and logs
    a warning for every such request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            response.content = b""
        return response
