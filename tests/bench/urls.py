"""The product's URLs plus `/bench/bare`, a view that only inserts one row."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from integration.urls import urlpatterns as product_urls


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """Store the raw body as one row and answer 200: the floor for a receiver."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [request.body])
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), *product_urls]
