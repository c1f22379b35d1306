-- The language the pages speak to each user ("en", "fr"); empty leaves it to the node's
-- default and then the browser's Accept-Language.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
