-- Field reports of accidents (issue 9): an accident and victim report is a draft an editor
-- approves, like an area or an activity. The kind's CHECK constraint is replaced by one that also
-- allows 'accident'; re-applied, it replaces it again.

ALTER TABLE field_reports DROP CONSTRAINT IF EXISTS field_reports_kind_check;

ALTER TABLE field_reports ADD CONSTRAINT field_reports_kind_check
    CHECK (kind IN ('new-area', 'area-change', 'activity', 'accident'));
