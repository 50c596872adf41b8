"""Scripts and conditions in diagrams run in RestrictedPython with a line budget."""
import pytest

from processes.engine.scripting import RestrictedEnvironment, ScriptRejected, check_source

ENV = RestrictedEnvironment({"dossier_level": lambda nominees: "supreme"})


@pytest.mark.parametrize("source, error", [
    ("import os", ScriptRejected),
    ("x = __import__('os')", ScriptRejected),
    ("x = open('/etc/passwd').read()", NameError),
    ("x = ().__class__.__bases__", ScriptRejected),
    ("x = getattr((), '__class__')", NameError),
    ("x = eval('1')", ScriptRejected),
    ("while True:\n    pass", ScriptRejected),
    ("x = list(range(10**9))", ValueError),
])
def test_hostile_scripts_are_refused(source, error):
    context = {"secret": 1}
    with pytest.raises(error):
        ENV.execute(source, context)
    assert "x" not in context


def test_ordinary_scripts_and_conditions_work():
    context = {"nominees": [{"award_form": "a"}, {"award_form": "b"}]}
    ENV.execute("count = sum([1 for n in nominees])\nlevel = dossier_level(nominees)", context)
    assert context["count"] == 2 and context["level"] == "supreme"
    # the environment's functions and guards do not leak into task data
    assert "dossier_level" not in context and "_getiter_" not in context
    assert ENV.evaluate("count == 2 and level == 'supreme'", context) is True


def test_publish_time_check_reports_the_rule():
    assert "invalid attribute name" in check_source("x = y.__dict__", expression=False)
    assert check_source("a == 'b'", expression=True) is None
