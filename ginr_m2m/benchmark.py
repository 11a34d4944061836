"""The framework's ceiling for the benchmark: a plain Django view that returns
a constant JSON body, served through the same middleware and gunicorn as the
API. Routed only when BENCHMARK_BARE_VIEW is on, never in normal operation.
"""

from django.http import JsonResponse

BODY = {"id": 1, "inr": "26INR0001", "status": "active"}


def bare_json(request):
    return JsonResponse(BODY)
