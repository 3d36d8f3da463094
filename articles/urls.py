from django.urls import path
from django.views.generic import RedirectView

from articles import api, export_views, views
from articles.analysis import api as analysis_api
from articles.analysis import views as analysis_views
from articles.citations import views as citations
from articles.names import views as names

app_name = "articles"

urlpatterns = [
    path("", views.browse, name="browse"),  # /
    path("search/", views.search, name="search"),  # /search/?q=tokayev&outlet=Al+Jazeera
    path("search/help/", views.search_help, name="search_help"),
    path("search/export", export_views.search_export, name="search_export"),  # ?format=csv&q=...
    path("articles/<int:pk>/", views.detail, name="detail"),  # /articles/3/
    path("articles/<int:pk>/raw/", views.raw, name="raw"),  # /articles/3/raw/ (plain text, verbatim)
    path("articles/<int:pk>/cite.<str:ext>", citations.cite, name="cite"),  # /articles/3/cite.ris
    path("unapi", citations.unapi, name="unapi"),
    path("outlets/", views.outlets, name="outlets"),
    path("outlets/<slug:slug>/", views.outlet, name="outlet"),  # /outlets/al-jazeera/
    path("people/", views.people, name="people"),
    path("people/<slug:slug>/", views.person, name="person"),  # /people/victria-batarchuk/ (every role)
    # /authors/ and /authors/<slug>/ were the first names of the people pages; links to them keep working.
    path("authors/", RedirectView.as_view(pattern_name="articles:people", permanent=True), name="authors"),
    path("authors/<slug:slug>/", RedirectView.as_view(pattern_name="articles:person", permanent=True), name="author"),
    path("stances/", views.stances, name="stances"),
    path("stances/<slug:slug>/", views.stance, name="stance"),
    path("dates/", views.dates, name="dates"),
    path("dates/<int:year>/", views.dates_year, name="dates_year"),  # /dates/2022/
    path("dates/<int:year>/<int:month>/", views.dates_month, name="dates_month"),  # /dates/2022/1/
    path("entities/", names.entities, name="entities"),
    path("entities/<slug:slug>/", names.entity, name="entity"),  # /entities/kassym-jomart-tokayev/
    path("api/search", api.search, name="api_search"),
    path("api/search/export", export_views.api_search_export, name="api_search_export"),
    path("api/articles/<int:pk>", api.article, name="api_article"),
    path("api/entities", names.api_entities, name="api_entities"),
    path("api/entities/<slug:slug>", names.api_entity, name="api_entity"),
]
# Analysis of every match of a search (articles/analysis/): a page and JSON (format=csv for CSV) per tool, e.g.
# /analysis/trends/ (analysis_trends) and /api/analysis/trends (api_analysis_trends).
for tool, _ in analysis_views.TOOLS:
    urlpatterns += [
        path(f"analysis/{tool}/", getattr(analysis_views, tool), name=f"analysis_{tool}"),
        path(f"api/analysis/{tool}", getattr(analysis_api, tool), name=f"api_analysis_{tool}"),
    ]
