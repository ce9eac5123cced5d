"""Data Docs index that works offline from file://.

GX's stock index page ships its run list as JSON that bootstrap-table (loaded from a CDN) turns
into rows; opened offline the list is empty. This renderer emits the same lists as plain HTML
tables with ordinary links, so the index is readable with no network. Online, the CDN styling
still applies. The site builder loads this class by name (see expectations.context).
"""

from __future__ import annotations

from great_expectations.render.components import (
    RenderedStringTemplateContent,
    RenderedTableContent,
)
from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer


def _link(text: str, href: str | None) -> RenderedStringTemplateContent | str:
    if not href:
        return text
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={
            "template": "$text",
            "params": {"text": text},
            "tag": "a",
            "styling": {"attributes": {"href": href}, "styles": {"word-break": "break-all"}},
        },
    )


def _table(header_row: list[str], rows: list[list], css_class: str) -> RenderedTableContent:
    return RenderedTableContent(
        table=rows,
        header_row=header_row,
        styling={
            "classes": ["col-12", "ge-index-page-table-container"],
            "body": {"classes": ["table", "table-sm", css_class]},
        },
    )


class OfflineSiteIndexPageRenderer(SiteIndexPageRenderer):
    @classmethod
    def _generate_validation_results_link_table(cls, index_links_dict):
        links = sorted(
            index_links_dict.get("validations_links", []),
            key=lambda link: cls._get_timestamp(link.get("run_time")) or 0,
            reverse=True,
        )
        rows = [
            [
                _link("all met" if link.get("validation_success") else "not all met", link.get("filepath")),
                _link(cls._get_formatted_datetime(link.get("run_time")) or "", link.get("filepath")),
                str(link.get("run_name") or ""),
                _link(link.get("expectation_suite_name") or "", link.get("expectation_suite_filepath")),
                str(link.get("asset_name") or ""),
                str(link.get("batch_identifier") or ""),
            ]
            for link in links
        ]
        return _table(
            ["Expectations", "Run time", "Run name (Airflow run id)", "Suite", "Asset", "Batch"],
            rows,
            "ge-index-page-validation-results-table",
        )

    @classmethod
    def _generate_expectation_suites_link_table(cls, index_links_dict):
        rows = [
            [_link(link.get("expectation_suite_name") or "", link.get("filepath"))]
            for link in sorted(
                index_links_dict.get("expectations_links", []),
                key=lambda link: link.get("expectation_suite_name") or "",
            )
        ]
        return _table(["Expectation suite"], rows, "ge-index-page-expectation_suites-table")
