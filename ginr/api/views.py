"""The read-only GINR API. Every query is narrowed to the caller's TSP."""

import re

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination

from ginr.api.filters import GinrFilter
from ginr.api.schema import ERROR_RESPONSES
from ginr.api.serializers import (
    GinrDetailSerializer,
    GinrListSerializer,
    TdspSerializer,
)
from ginr.api.throttling import rate_limit_headers
from ginr.models import Ginr, Tdsp

INR_REFERENCE = re.compile(r"(\d{2})INR(\d{4})([A-Za-z]?)", re.IGNORECASE)
# Larger ids cannot exist and would overflow the database's bigint.
MAX_ID = 2**63 - 1


class ReadOnlyAPIView:
    # GET and HEAD only: OPTIONS would describe the API to anyone who asks.
    http_method_names = ["get", "head"]

    def initial(self, request, *args, **kwargs):
        # Refuse other methods before authentication, which would otherwise
        # try to parse their bodies.
        if request.method.lower() not in self.http_method_names:
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A TSP's data must not linger in shared caches or proxies.
        response["Cache-Control"] = "no-store"
        window = getattr(request, "rate_limit_window", None)
        if window is not None:
            for name, value in rate_limit_headers(window).items():
                response[name] = value
        return response


class GinrPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "pageSize"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF would silently cap or ignore a bad size; a client should know.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdecimal()) or not (
            1 <= int(raw) <= self.max_page_size
        ):
            raise ValidationError(
                {
                    self.page_size_query_param: (
                        f"must be a whole number from 1 to {self.max_page_size}"
                    )
                }
            )
        return int(raw)


@extend_schema(
    responses={
        (200, "application/json"): GinrListSerializer(many=True),
        **ERROR_RESPONSES,
    }
)
class TdspGinrListView(ReadOnlyAPIView, ListAPIView):
    """The GINRs where the caller's TSP is primary or other TSP."""

    serializer_class = GinrListSerializer
    filterset_class = GinrFilter
    pagination_class = GinrPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ginr.objects.none()
        return Ginr.objects.visible_to(self.request.user.tdsp_id).order_by("inr", "id")

    def list(self, request, *args, **kwargs):
        # Which of two values would win, or whether an empty one means "any",
        # is not something a client should have to guess.
        problems = {}
        for name, values in request.query_params.lists():
            if len(values) > 1:
                problems[name] = "may be given only once"
            elif not values[0]:
                problems[name] = "may not be empty"
        if problems:
            raise ValidationError(dict(sorted(problems.items())))
        return super().list(request, *args, **kwargs)


@extend_schema(
    responses={(200, "application/json"): TdspSerializer(many=True), **ERROR_RESPONSES}
)
class TdspTypeListView(ReadOnlyAPIView, ListAPIView):
    """The TSP/TDSP reference list."""

    serializer_class = TdspSerializer
    pagination_class = None
    filter_backends = []
    queryset = Tdsp.objects.select_related("successor").order_by("code")


@extend_schema(
    responses={(200, "application/json"): GinrDetailSerializer, **ERROR_RESPONSES},
    parameters=[
        OpenApiParameter(
            "reference",
            str,
            OpenApiParameter.PATH,
            description="The id that tdspList returns, or an INR such as 23INR0368.",
        )
    ],
)
class GinrDetailView(ReadOnlyAPIView, RetrieveAPIView):
    """One GINR in full, by the id tdspList returns or by its INR.

    A GINR not assigned to the caller's TSP is indistinguishable from one that
    does not exist.
    """

    serializer_class = GinrDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ginr.objects.none()
        return Ginr.objects.visible_to(self.request.user.tdsp_id)

    def get_object(self):
        reference = self.kwargs["reference"]
        match = INR_REFERENCE.fullmatch(reference)
        if reference.isdecimal() and reference.isascii():
            if int(reference) > MAX_ID:
                raise Http404
            lookup = {"pk": int(reference)}
        elif match:
            year, number, split = match.groups()
            lookup = {"inr": f"{year}INR{number}{split.lower()}"}
        else:
            raise Http404
        ginr = Ginr.objects.one_with_assignments(self.request.user.tdsp_id, **lookup)
        if ginr is None:
            raise Http404
        return ginr
