-- Task tracking (issue 9) beside the canonical `nhiem_vu` / `nhiem_vu_viec` tables, whose
-- columns stay the contract of DOMAIN.md §6. Portable SQL for SQLite and PostgreSQL; ids are
-- assigned by the application.

-- Status and progress updates of a task with the assignee's comment: the canonical schema has
-- no column for comments, and `nhiem_vu` keeps only the latest status and progress.
CREATE TABLE nhiem_vu_cap_nhat (
  id           INTEGER PRIMARY KEY,
  nhiem_vu_id  INTEGER NOT NULL REFERENCES nhiem_vu(id),
  user_id      INTEGER REFERENCES users(id),
  actor        TEXT NOT NULL,
  at           TEXT NOT NULL,
  trang_thai   TEXT NOT NULL CHECK (trang_thai IN ('moi', 'dang_thuc_hien', 'hoan_thanh', 'huy')),
  tien_do      INTEGER NOT NULL CHECK (tien_do BETWEEN 0 AND 100),
  ghi_chu      TEXT NOT NULL
);
CREATE INDEX ix_nhiem_vu_cap_nhat ON nhiem_vu_cap_nhat(nhiem_vu_id, id);

-- The linked records of a task with their status when it was assigned, so progress can also be
-- computed from the data (how many have changed status since). Cases are in `nhiem_vu_viec`
-- too (the contract); petitions (`don_thu`) and decisions (`quyet_dinh`, status = `ky_so`) only
-- here.
CREATE TABLE nhiem_vu_ho_so (
  nhiem_vu_id      INTEGER NOT NULL REFERENCES nhiem_vu(id),
  bang             TEXT NOT NULL CHECK (bang IN ('viec_thi_hanh', 'don_thu', 'quyet_dinh')),
  ho_so_id         INTEGER NOT NULL,
  trang_thai_giao  TEXT NOT NULL,
  PRIMARY KEY (nhiem_vu_id, bang, ho_so_id)
);
