-- The matches list sorts by date or by score, with or without a review-state filter: an
-- index for each, so a page is an index range at any size.
CREATE INDEX matches_score ON matches (score, id);
CREATE INDEX matches_status_score ON matches (status, score, id);
CREATE INDEX matches_status_created ON matches (status, created_at, id);
