"""The shape check of analysts' queries, on EXPLAIN AST text as ClickHouse 26 prints it."""
from __future__ import annotations

import pytest

from consumers.analytics.readonly import refusal, shape_of

SELECT = """SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function upper (children 1)
     ExpressionList (children 1)
      Literal 'a'
 Identifier Native"""
OUTFILE = """SelectWithUnionQuery (children 3)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Literal UInt64_1
 Literal '/tmp/x'
 Identifier Native"""
FILE_FN = """SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function FILE (children 1)
     ExpressionList (children 1)
      Literal '/etc/hostname'
 Identifier Native"""
KILL = "KillQueryQuery Literal_UInt64_1 ASYNC (children 1)\n Literal UInt64_1"
SHOW_LIKE = "ShowTables (children 1)\n Literal '%x%'\n Identifier Native"
DESCRIBE = "DescribeQuery (children 1)\n TableExpression (children 1)\n  TableIdentifier t\n Identifier Native"


@pytest.mark.parametrize("explained, reason", [
    (SELECT, None), (DESCRIBE, None), ("ShowTables\n Identifier Native", None),
    (OUTFILE, "INTO OUTFILE"), (FILE_FN, "file"), (KILL, "not KillQueryQuery"), (SHOW_LIKE, "LIKE"),
    ("UseQuery system", "not UseQuery"), ("", "empty"),
])
def test_refusal(explained, reason):
    if reason is None and explained:
        assert refusal(shape_of(explained)) is None
    elif not explained:
        with pytest.raises(ValueError, match=reason):
            shape_of(explained)
    else:
        assert reason in refusal(shape_of(explained))


def test_only_the_drivers_own_format_is_ignored():
    """A FORMAT the analyst wrote is an Identifier child too: refused unless it is the last, Native one."""
    explained = SELECT.replace(" Identifier Native", " Identifier CSV\n Identifier Native")
    assert "Identifier" in refusal(shape_of(explained))
