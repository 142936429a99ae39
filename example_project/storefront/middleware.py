"""Show a "come back later" page, not a traceback, when the provider cannot be reached."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

from django_api_orm import ServerError, TransportError


class ProviderUnavailableMiddleware(MiddlewareMixin):
    """Answer 503 with a friendly page when the provider is down, slow or failing (5xx)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, TransportError | ServerError):
            return None
        return render(request, "storefront/unavailable.html", {"error": exception}, status=503)
