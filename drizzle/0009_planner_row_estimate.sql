-- The planner's estimate of how many rows a query returns, for the totals of lists past their
-- exact count (src/services/lists.ts): EXPLAIN, not the query, so it costs one planning. The
-- statement is the list's own (from the server's code, never from a client), its values passed
-- as parameters $1 to $4 (text, cast by the statement where it needs another type).
CREATE FUNCTION planner_row_estimate(statement text, VARIADIC parameters text[] DEFAULT '{}')
RETURNS double precision
LANGUAGE plpgsql
AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || statement INTO plan
    USING parameters[1], parameters[2], parameters[3], parameters[4];
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
END
$$;
