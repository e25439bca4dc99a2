-- An extension request is keyed by its place in the State's requests (`number`: 1 for its first
-- request, refusals counted), which the record can always give, rather than by its submission
-- date, which the sources often do not give: `submitted` becomes optional. Rows stored before are
-- numbered per State in the order they were submitted.
ALTER TABLE extension_requests ADD COLUMN number BIGINT;
UPDATE extension_requests AS e
SET number = n.number
FROM (
    SELECT row_id, ROW_NUMBER() OVER (PARTITION BY iso3 ORDER BY submitted, row_id) AS number
    FROM extension_requests
) AS n
WHERE e.row_id = n.row_id;
ALTER TABLE extension_requests ALTER COLUMN number SET NOT NULL;
ALTER TABLE extension_requests ALTER COLUMN submitted DROP NOT NULL;
ALTER TABLE extension_requests DROP CONSTRAINT extension_requests_iso3_submitted_key;
ALTER TABLE extension_requests ADD CONSTRAINT extension_requests_iso3_number_key UNIQUE (iso3, number);

-- A source's year may be unknown (an undated web page, cited "n.d.").
ALTER TABLE sources ALTER COLUMN year DROP NOT NULL;
