"""The read-only GINR API. Every query is narrowed to the caller's TSP."""

import datetime as dt
import functools
import re
from urllib.parse import unquote_to_bytes

from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, F, Max
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from ginr.api.conditional import ConditionalGetMixin
from ginr.api.exceptions import MalformedQueryString
from ginr.api.filters import EARLIEST, LATEST, GinrFilter
from ginr.api.schema import ERROR_RESPONSES
from ginr.api.serializers import (
    ChangeEventSerializer,
    GinrDetailSerializer,
    GinrListSerializer,
    TdspSerializer,
)
from ginr.api.throttling import rate_limit_headers
from ginr.models import ChangeEvent, Ginr, ReportImport, Tdsp

# A "%" not followed by two hex digits: Django would read it as a literal.
BAD_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
INR_REFERENCE = re.compile(r"(\d{2})INR(\d{4})([A-Za-z]?)", re.IGNORECASE)
# The columns a list shows; the GINR has some sixty more.
LIST_COLUMNS = [
    field.source
    for field in GinrListSerializer().fields.values()
    if field.source != "role"
]
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

    def check_permissions(self, request):
        super().check_permissions(request)
        # After authentication and the scope check; before anything (the
        # conditional check included) reads the parameters.
        strict_query(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A TSP's data must not linger in shared caches or proxies.
        response["Cache-Control"] = "no-store"
        window = getattr(request, "rate_limit_window", None)
        if window is not None:
            for name, value in rate_limit_headers(window).items():
                response[name] = value
        return response


def page_size_param(request, default, maximum, name="pageSize"):
    """A page size from the query string; DRF would silently cap or ignore a
    bad one, and a client should know."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= maximum:
        raise ValidationError({name: f"must be a whole number from 1 to {maximum}"})
    return int(raw)


def strict_query(request):
    """Refuse a parameter given twice or empty.

    Which of two values would win, or whether an empty one means "any", is
    not something a client should have to guess. Neither is what a broken
    percent-escape or bytes that are not UTF-8 meant (Django would read the
    first as a literal "%" and the second as U+FFFD): a 400.
    """
    raw = request.META.get("QUERY_STRING", "")
    if BAD_PERCENT_ESCAPE.search(raw):
        raise MalformedQueryString
    try:
        # WSGI hands the query string over as its bytes read as Latin-1.
        unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError) as error:
        raise MalformedQueryString from error

    problems = {}
    for name, values in request.query_params.lists():
        if len(values) > 1:
            problems[name] = "may be given only once"
        elif not values[0]:
            problems[name] = "may not be empty"
    if problems:
        raise ValidationError(dict(sorted(problems.items())))


REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The id that tdspList returns, or an INR such as 23INR0368.",
)


def _documented(serializer, **kwargs):
    return extend_schema(
        responses={(200, "application/json"): serializer, **ERROR_RESPONSES},
        **kwargs,
    )


def _latest(*moments):
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


def _latest_import():
    return ReportImport.objects.order_by("-id").values("id", "imported_at").first()


def _ginr_lookup(reference):
    """Filter arguments for a GINR by id or INR, or Http404."""
    match = INR_REFERENCE.fullmatch(reference)
    if reference.isdecimal() and reference.isascii():
        if int(reference) > MAX_ID:
            raise Http404
        return {"pk": int(reference)}
    if match:
        year, number, split = match.groups()
        return {"inr": f"{year}INR{number}{split.lower()}"}
    raise Http404


class CountedPaginator(Paginator):
    """A paginator told the count, when the view has just counted the same
    rows for its validators: one COUNT query a page fewer."""

    def __init__(self, *args, count=None, **kwargs):
        super().__init__(*args, **kwargs)
        if count is not None:
            # Paginator.count is a cached_property; this is its cached value.
            self.__dict__["count"] = count


class GinrPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "pageSize"
    max_page_size = 500

    def get_page_size(self, request):
        return page_size_param(
            request, self.page_size, self.max_page_size, self.page_size_query_param
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = functools.partial(
            CountedPaginator, count=getattr(view, "counted", None)
        )
        return super().paginate_queryset(queryset, request, view)


@_documented(GinrListSerializer(many=True))
class TdspGinrListView(ConditionalGetMixin, ReadOnlyAPIView, ListAPIView):
    """The GINRs where the caller's TSP is primary or other TSP."""

    serializer_class = GinrListSerializer
    filterset_class = GinrFilter
    pagination_class = GinrPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ginr.objects.none()
        return (
            Ginr.objects.visible_to(self.request.user.tdsp_id)
            .only(*LIST_COLUMNS)
            .order_by("inr", "id")
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # Read by the access log; the API does not know who records it.
        response.ginr_count = len(response.data["results"])
        return response

    def validators(self, request):
        # A bad page size is a 400 before it can be a 304.
        self.paginator.get_page_size(request)
        # Assignment changes move the GINR's modified_at, and a GINR that
        # leaves the list changes the count; every import moves reportMonth.
        found = (
            self.filter_queryset(self.get_queryset())
            .order_by()
            .aggregate(count=Count("id"), modified=Max("modified_at"))
        )
        # The paginator would count the same rows again.
        self.counted = found["count"]
        latest = _latest_import() or {}
        return (
            f"{found['count']}|{found['modified']}|{latest.get('id')}",
            _latest(found["modified"], latest.get("imported_at")),
        )


@_documented(TdspSerializer(many=True))
class TdspTypeListView(ConditionalGetMixin, ReadOnlyAPIView, ListAPIView):
    """The TSP/TDSP reference list."""

    serializer_class = TdspSerializer
    pagination_class = None
    filter_backends = []
    queryset = Tdsp.objects.select_related("successor").order_by("code")

    def validators(self, request):
        found = Tdsp.objects.aggregate(count=Count("id"), modified=Max("modified_at"))
        return f"{found['count']}|{found['modified']}", found["modified"]


@_documented(GinrDetailSerializer, parameters=[REFERENCE_PARAMETER])
class GinrDetailView(ConditionalGetMixin, ReadOnlyAPIView, RetrieveAPIView):
    """One GINR in full, by the id tdspList returns or by its INR.

    A GINR not assigned to the caller's TSP is indistinguishable from one that
    does not exist.
    """

    serializer_class = GinrDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response.ginr_count = 1
        return response

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ginr.objects.none()
        return Ginr.objects.visible_to(self.request.user.tdsp_id)

    def get_object(self):
        # Fetched once: the validators need it before the body does.
        if not hasattr(self, "_ginr"):
            ginr = Ginr.objects.one_with_assignments(
                self.request.user.tdsp_id, **_ginr_lookup(self.kwargs["reference"])
            )
            if ginr is None:
                raise Http404
            self._ginr = ginr
        return self._ginr

    def validators(self, request):
        # From what the one query already read: the GINR, the report month it
        # was last seen in (which an import moves without touching
        # modified_at), and its TSPs as shown.
        ginr = self.get_object()
        assignments = ginr.assignments.all()
        shown = [(a.tdsp.code, a.tdsp.name, a.role) for a in assignments]
        return (
            f"{ginr.pk}|{ginr.modified_at}|{ginr.report_month}|{ginr.role}|{shown}",
            _latest(
                ginr.modified_at,
                ginr.report_seen_at,
                *(a.tdsp.modified_at for a in assignments),
            ),
        )


# The kinds of event that are about the GINR itself, not about who sees it.
HISTORY_KINDS = [
    ChangeEvent.Kind.CREATED,
    ChangeEvent.Kind.FIELD_CHANGED,
    ChangeEvent.Kind.STATUS_CHANGED,
]


def _events():
    return ChangeEvent.objects.annotate(inr=F("ginr__inr"), tdsp_code=F("tdsp__code"))


@_documented(ChangeEventSerializer(many=True), parameters=[REFERENCE_PARAMETER])
class GinrHistoryView(ConditionalGetMixin, ReadOnlyAPIView, ListAPIView):
    """The recorded changes of one of the caller's GINRs, newest first."""

    serializer_class = ChangeEventSerializer
    pagination_class = GinrPagination
    filter_backends = []

    def ginr_id(self):
        if not hasattr(self, "_ginr_id"):
            self._ginr_id = (
                Ginr.objects.visible_to(self.request.user.tdsp_id)
                .filter(**_ginr_lookup(self.kwargs["reference"]))
                .values_list("id", flat=True)
                .first()
            )
            if self._ginr_id is None:
                raise Http404
        return self._ginr_id

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChangeEvent.objects.none()
        return (
            _events()
            .filter(ginr_id=self.ginr_id(), kind__in=HISTORY_KINDS)
            .order_by("-id")
        )

    def validators(self, request):
        found = ChangeEvent.objects.filter(
            ginr_id=self.ginr_id(), kind__in=HISTORY_KINDS
        ).aggregate(last=Max("id"), recorded=Max("recorded_at"))
        return f"{found['last']}", found["recorded"]


# Without a timestamp: the same position is always the same cursor.
CURSOR_SIGNER = signing.Signer(salt="ginr.api.changes.cursor")
FEED_PAGE_SIZE = 100
FEED_MAX_PAGE_SIZE = 500


@_documented(
    inline_serializer(
        name="ChangeFeedPage",
        fields={
            "events": ChangeEventSerializer(many=True),
            "cursor": serializers.CharField(),
            "more": serializers.BooleanField(),
        },
    ),
    parameters=[
        OpenApiParameter(
            "after", str, description="The cursor a previous answer gave."
        ),
        OpenApiParameter(
            "since",
            str,
            description="Start at the first event recorded on or after this "
            "ISO 8601 date or time (instead of after).",
        ),
        OpenApiParameter(
            "pageSize", int, description="Events per answer, 1 to 500 (100)."
        ),
    ],
)
class ChangeFeedView(ConditionalGetMixin, ReadOnlyAPIView, APIView):
    """The change events of the caller's GINRs, oldest first, after a cursor.

    ?after=CURSOR continues from the cursor a previous answer gave; without it
    the feed starts at the beginning, or at the first event recorded on or
    after ?since=DATE-OR-TIME. The cursor is the last event id served, signed
    with the TSP so it can be neither forged nor used by another TSP. It is
    safe to follow while an import runs: events become visible in id order
    (services.changes_lock), so "after N" never skips or repeats one.
    """

    def position(self, request):
        """(id of the last event already served, since-datetime or None)."""
        if hasattr(self, "_position"):
            return self._position
        after = request.query_params.get("after")
        since = request.query_params.get("since")
        if after is not None and since is not None:
            raise ValidationError({"since": "Give either after or since, not both."})
        last_id, since_at = 0, None
        if after is not None:
            try:
                tdsp_id, last_id = CURSOR_SIGNER.unsign_object(after)
            except (signing.BadSignature, TypeError, ValueError) as error:
                raise ValidationError(
                    {"after": "Not a cursor this feed gave out."}
                ) from error
            if tdsp_id != request.user.tdsp_id:
                raise ValidationError({"after": "Not a cursor this feed gave out."})
        elif since is not None:
            try:
                since_at = parse_datetime(since)
                if since_at is None:
                    day = parse_date(since)
                    since_at = day and dt.datetime.combine(day, dt.time())
            except ValueError:
                # Well formed but impossible, such as 2026-02-30.
                since_at = None
            if since_at is None:
                raise ValidationError(
                    {"since": "Expected an ISO 8601 date or date and time."}
                )
            if timezone.is_naive(since_at):
                since_at = timezone.make_aware(since_at, dt.UTC)
            if not EARLIEST <= since_at <= LATEST:
                raise ValidationError({"since": "must be between 1900 and 9000"})
        self._position = (last_id, since_at)
        return self._position

    def page_size(self, request):
        return page_size_param(request, FEED_PAGE_SIZE, FEED_MAX_PAGE_SIZE)

    def validators(self, request):
        # Any new event may be one of the caller's; the cursor is in the URL.
        self.position(request)
        self.page_size(request)
        found = ChangeEvent.objects.aggregate(
            last=Max("id"), recorded=Max("recorded_at")
        )
        return f"{found['last']}", found["recorded"]

    def get(self, request, *args, **kwargs):
        last_id, since_at = self.position(request)
        size = self.page_size(request)
        events = _events().visible_to(request.user.tdsp_id).filter(id__gt=last_id)
        if since_at is not None:
            events = events.filter(recorded_at__gte=since_at)
        page = list(events.order_by("id")[: size + 1])
        more = len(page) > size
        page = page[:size]
        if page:
            last_id = page[-1].id
        elif since_at is not None:
            # Nothing yet since that moment: continue after what exists now,
            # which is all older than it.
            last_id = (
                ChangeEvent.objects.filter(recorded_at__lt=since_at).aggregate(
                    last=Max("id")
                )["last"]
                or 0
            )
        cursor = CURSOR_SIGNER.sign_object([request.user.tdsp_id, last_id])
        return Response(
            {
                "events": ChangeEventSerializer(page, many=True).data,
                "cursor": cursor,
                "more": more,
            }
        )
