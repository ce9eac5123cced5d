"""What the warehouse shows about itself: the report site (site/index.html), the scorecard charts,
the dbt docs page and `parwh status`.

See docs/BI.md ("The scorecard") and docs/OPERATIONS.md.
"""
