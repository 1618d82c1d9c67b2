-- Which pooled key (and so which Google Cloud project) owns each project-bound resource created
-- through the gateway: files/…, cachedContents/…, batches/…, operations/… (Gemini binds them to
-- the project of the key that created them), and resumable upload sessions (uploads/<gateway id>,
-- whose upstream session path is kept in `upstream`, so any process can carry on the upload).
-- A resource's expiry or deletion removes its row; maintenance deletes rows past `expires_at`.
CREATE TABLE IF NOT EXISTS resource_owners (
  name TEXT PRIMARY KEY,
  api_key_id INTEGER NOT NULL,
  project TEXT,
  access_token_id INTEGER,
  upstream TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS idx_resource_owners_expires_at ON resource_owners (expires_at);
CREATE INDEX IF NOT EXISTS idx_resource_owners_key ON resource_owners (api_key_id);
CREATE INDEX IF NOT EXISTS idx_resource_owners_token ON resource_owners (access_token_id, created_at);
