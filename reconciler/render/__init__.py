"""Rendering: plans, apply reports, progress and status as text, JSON and Markdown. No decisions.

Modules: ``text`` (shared formatting: values shortened in the middle, money, terminal-safe
strings), ``plan`` (plan text/JSON/Markdown), ``report`` (apply outcomes), ``progress`` (live
progress of ``apply --wait``), ``status`` (the status table), ``hardware`` (the catalog).
Called by: the CLI. Must not: compute anything that changes what is applied; every renderer only
consumes values (octoDNS keeps its PlanLogger/PlanJson/PlanMarkdown apart from planning the same
way).
"""
