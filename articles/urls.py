from django.urls import path

from articles import api, views
from articles.names import views as names

app_name = "articles"

urlpatterns = [
    path("", views.browse, name="browse"),  # /
    path("search/", views.search, name="search"),  # /search/?q=tokayev&outlet=Al+Jazeera
    path("search/help/", views.search_help, name="search_help"),
    path("articles/<int:pk>/", views.detail, name="detail"),  # /articles/3/
    path("articles/<int:pk>/raw/", views.raw, name="raw"),  # /articles/3/raw/ (plain text, verbatim)
    path("outlets/", views.outlets, name="outlets"),
    path("outlets/<slug:slug>/", views.outlet, name="outlet"),  # /outlets/al-jazeera/
    path("authors/", views.authors, name="authors"),
    path("authors/<slug:slug>/", views.author, name="author"),  # /authors/sofia-hriniova/
    path("stances/", views.stances, name="stances"),
    path("stances/<slug:slug>/", views.stance, name="stance"),
    path("dates/", views.dates, name="dates"),
    path("dates/<int:year>/", views.dates_year, name="dates_year"),  # /dates/2022/
    path("dates/<int:year>/<int:month>/", views.dates_month, name="dates_month"),  # /dates/2022/1/
    path("entities/", names.entities, name="entities"),
    path("entities/<slug:slug>/", names.entity, name="entity"),  # /entities/kassym-jomart-tokayev/
    path("api/search", api.search, name="api_search"),
    path("api/articles/<int:pk>", api.article, name="api_article"),
    path("api/entities", names.api_entities, name="api_entities"),
    path("api/entities/<slug:slug>", names.api_entity, name="api_entity"),
]
