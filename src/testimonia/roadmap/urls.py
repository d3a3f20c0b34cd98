"""Routes of the roadmap pages; web/urls.py adds them to the `web` namespace."""

from django.urls import path

from testimonia.roadmap import views

urlpatterns = [
    path("w/<slug:workspace>/roadmap/", views.scorecard, name="roadmap"),
    path(
        "w/<slug:workspace>/roadmap/recommendations/",
        views.recommendation_list,
        name="roadmap_recommendations",
    ),
    path(
        "w/<slug:workspace>/roadmap/recommendations/<int:recommendation>/",
        views.recommendation_detail,
        name="roadmap_recommendation",
    ),
    path(
        "w/<slug:workspace>/roadmap/recommendations/<int:recommendation>/status/",
        views.status_change_add,
        name="roadmap_status_change",
    ),
    path("w/<slug:workspace>/roadmap/timeline/", views.timeline, name="roadmap_timeline"),
    path("w/<slug:workspace>/roadmap/report/", views.report, name="roadmap_report"),
    path("w/<slug:workspace>/roadmap/report.pdf", views.report_pdf, name="roadmap_report_pdf"),
    path(
        "w/<slug:workspace>/roadmap/export.csv",
        views.export,
        {"export_format": "csv"},
        name="roadmap_export_csv",
    ),
    path(
        "w/<slug:workspace>/roadmap/export.json",
        views.export,
        {"export_format": "json"},
        name="roadmap_export_json",
    ),
]
