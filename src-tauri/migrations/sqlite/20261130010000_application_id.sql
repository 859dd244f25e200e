-- Marks the file as Tandem's in its header ("TAND"), so Tandem, `file(1)` and other tools can
-- tell its databases from other programs' without reading their tables.
PRAGMA application_id = 1413566020;
