from oauth2_provider.oauth2_validators import OAuth2Validator

from ginr_m2m.request_context import bind_client


class ClientCredentialsValidator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        authenticated = super().authenticate_client(request, *args, **kwargs)
        if authenticated:
            # Every later log line of this token request names the client.
            bind_client(client=request.client.client_id, tdsp=request.client.tdsp_id)
        return authenticated

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # An empty set is a subset of anything, so a client granted nothing
        # would otherwise get a token with scope "". Fail closed.
        if not scopes:
            return False
        return super().validate_scopes(
            client_id, scopes, client, request, *args, **kwargs
        )
