-- Calibration is the slow part of fitting the suggester (one fit per cross-validation fold). A run records what
-- it was fitted on (fingerprint: algorithm, parameters, codes and their codebook text, examples and their
-- groups, embedding model) and what calibration chose, so a later fit on the same data reuses it.
ALTER TABLE suggester_runs ADD COLUMN fingerprint TEXT;
ALTER TABLE suggester_runs ADD COLUMN calibration TEXT;  -- JSON: platt [a, b], thresholds [...], global_threshold
CREATE INDEX suggester_runs_fingerprint ON suggester_runs(fingerprint);
