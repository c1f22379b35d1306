-- Whose content each TAXII object is: '' for this node's own (published or loaded by its
-- operator), else the agency that posted it, so the egress rule knows the originator.
ALTER TABLE taxii_objects ADD COLUMN originator TEXT NOT NULL DEFAULT '';
