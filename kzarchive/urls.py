from django.contrib import admin
from django.urls import include, path

# Django answers a body over DATA_UPLOAD_MAX_MEMORY_SIZE found by a middleware (CSRF, the login lockout)
# with its 400 page; the archive answers 413, as it does for one found by Content-Length or in a view.
handler400 = "articles.middleware.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]
