-- 0004_calendar_notices: the State Council's holiday notices imported at run time with
-- `jianfu calendar import`, one per year, kept as the text that was imported so that the
-- calendar can always be rebuilt from, and checked against, what the operator gave.
-- Every `jianfu serve` installs them at start-up on top of the built-in years.

CREATE TABLE calendar_notices (
    year        integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2999),
    notice      text NOT NULL,
    source      text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
