"""JUnit XML for GitLab's test report widget: one test case per project and facet.

Drift is a failure (the configuration test failed), a problem is an error (it could not be checked).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from provisioner.model import Change, RunResult
from provisioner.report import wording
from provisioner.secrets import redact


def _text(changes: list[Change]) -> str:
    """The check's own words ("GitLab has X; the inventory wants Y"), then the legend of its symbols."""
    described = [wording.describe(c, "check") for c in changes]
    lines = [line for d in described for line in wording.lines(d, indent="")]
    legend = wording.legend({d.symbol for d in described}, "check")
    return redact("\n".join([*lines, legend or ""]).rstrip())


def render(run: RunResult, suite_name: str = "provisioner") -> str:
    suite = ET.Element("testsuite", name=f"{suite_name} {run.mode}")
    tests = failures = errors = 0
    for result in run.projects:
        facets = list(result.facets) or ["project"]
        for problem in result.problems:
            if problem.facet and problem.facet not in facets:
                facets.append(problem.facet)
        if any(p.facet is None for p in result.problems) and "project" not in facets:
            facets.insert(0, "project")
        for facet in facets:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=result.project, name=facet)
            mine = [p for p in result.problems if (p.facet or "project") == facet]
            drift = [c for c in result.drift if c.facet == facet]
            if mine:
                errors += 1
                # Scrubbed before XML escapes them (an escaped secret no longer matches), and after.
                node = ET.SubElement(case, "error", message=redact(mine[0].message), type=mine[0].kind)
                node.text = redact("\n".join(p.message for p in mine))
            elif drift:
                failures += 1
                message = f"{len(drift)} difference{'' if len(drift) == 1 else 's'}"
                node = ET.SubElement(case, "failure", message=message, type="drift")
                node.text = _text(drift)
            elif lacking := [c for c in result.planned if c.facet == facet and not c.action.checked]:
                # Not checked: what this GitLab lacks, a secret the run was not given (neither drift nor
                # an error).
                why = lacking[0].after or {}
                skipped = ET.SubElement(case, "skipped", message=str(why.get("needs") or why.get("note")))
                skipped.text = _text(lacking)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    if run.started_at is not None:
        suite.set("timestamp", run.started_at)
    if run.duration is not None:
        suite.set("time", f"{run.duration:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return redact(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"
