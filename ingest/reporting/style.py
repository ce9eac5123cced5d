"""What every page of the report site shares: its style sheet and the time zone it speaks in.

The report site and the scorecard both draw with these; neither imports the other for them.
"""

from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

CSS = """
:root{--ink:#1d2733;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:#fff}
main{max-width:1280px;margin:0 auto;padding:1.5rem 2rem 4rem}
header{background:#24292f;color:#fff;padding:1rem 2rem}
header h1{font-size:1.4rem;margin:0} header p{margin:.3rem 0 0;color:#c9d1d9;font-size:.9rem}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:.5rem 2rem;z-index:1}
nav a{margin-right:1.2rem;color:#0969da;text-decoration:none;font-weight:500} nav a:hover{text-decoration:underline}
h2{margin-top:2.2rem;border-bottom:1px solid var(--line);padding-bottom:.3rem;font-size:1.25rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:.86rem;margin:.5rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fbfcfd}
.badge{display:inline-block;border-radius:1em;padding:0 .55em;font-size:.8rem;font-weight:600;border:1px solid}
.pass,.loaded,.success{color:var(--ok);border-color:#aceebb;background:#dafbe1}
.warn,.duplicate{color:var(--warn);border-color:#f5e0a0;background:#fff8c5}
.fail,.rejected,.quarantined,.failed,.error{color:var(--bad);border-color:#ffcecb;background:#ffebe9}
.started,.none{color:var(--muted);border-color:var(--line);background:var(--soft)}
.muted{color:var(--muted)} .why{color:var(--muted);font-size:.8rem} div.why{min-width:14rem}
.keys{font-family:ui-monospace,monospace;font-size:.8rem}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
.card{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;min-width:8.5rem;background:#fff}
.card .k{font-size:.78rem;color:var(--muted)} .card .v{font-size:1.3rem;font-weight:600}
.alarm{border:2px solid var(--bad);border-radius:8px;padding:.2rem 1.2rem 1rem;background:#fffafa}
.alarm h2{color:var(--bad);border-bottom-color:#ffcecb}
.allgood{border:1px solid #aceebb;background:#f0fff4;border-radius:8px;padding:.6rem 1rem}
details{border:1px solid var(--line);border-radius:6px;margin:.6rem 0;padding:.3rem .8rem;overflow-x:auto}
td.t{white-space:nowrap} .suite{white-space:nowrap;margin:.1rem 0}
tr.note td{border-top:none;color:var(--bad);font-size:.8rem}
details[open]{padding-bottom:.6rem} summary{cursor:pointer;font-weight:600;padding:.3rem 0}
summary .muted{font-weight:400}
a{color:#0969da}
@media print{nav{display:none} details{border:none} details>*{display:block}}
"""
