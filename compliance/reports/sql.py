"""SQL the ORM does not spell: durations in seconds and percentiles, on PostgreSQL and
SQLite."""

from django.db.models import Aggregate, FloatField, Func


class Seconds(Func):
    """Seconds from the second datetime to the first, as a float, in SQL."""

    output_field = FloatField()
    arity = 2
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps datetimes as ISO text; julianday() reads them (fractions included).
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated percentile of an expression."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        # A constant from our code, never user input: safe to write into the SQL.
        super().__init__(expression, percentile=float(percentile), **extra)
