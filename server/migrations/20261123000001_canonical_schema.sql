-- The canonical schema of DOMAIN.md §6 (a contract: names exactly as written there), with the
-- allowed codes enforced by CHECK constraints. Portable: the same text runs on SQLite and
-- PostgreSQL.

CREATE TABLE tinh (
  ma_tinh        TEXT PRIMARY KEY,
  ten            TEXT NOT NULL,
  ten_khong_dau  TEXT NOT NULL,
  loai           TEXT NOT NULL CHECK (loai IN ('tp', 'tinh')),
  mien           TEXT NOT NULL CHECK (mien IN ('bac', 'trung', 'nam')),
  vung           TEXT NOT NULL CHECK (vung IN ('tdmnpb', 'dbsh', 'btb_dhmt', 'tay_nguyen', 'dnb', 'dbscl')),
  dan_so         INTEGER NOT NULL CHECK (dan_so >= 0),
  tinh_cu        TEXT NOT NULL
);

CREATE TABLE don_vi (
  id             INTEGER PRIMARY KEY,
  ma             TEXT NOT NULL UNIQUE,
  ten            TEXT NOT NULL,
  ten_khong_dau  TEXT NOT NULL,
  cap            TEXT NOT NULL CHECK (cap IN ('cuc', 'tinh', 'khu_vuc')),
  ma_tinh        TEXT REFERENCES tinh(ma_tinh),
  don_vi_cha_id  INTEGER REFERENCES don_vi(id),
  CHECK ((cap = 'cuc') = (ma_tinh IS NULL))
);

CREATE TABLE can_bo (
  id                 INTEGER PRIMARY KEY,
  ho_ten             TEXT NOT NULL,
  chuc_vu            TEXT NOT NULL CHECK (chuc_vu IN ('lanh_dao_bo', 'cuc_truong', 'pho_cuc_truong',
                       'truong_tha_tinh', 'pho_truong_tha_tinh', 'truong_phong', 'pho_truong_phong',
                       'chap_hanh_vien', 'tham_tra_vien', 'thu_ky', 'ke_toan', 'thu_quy', 'van_thu',
                       'chuyen_vien')),
  la_chap_hanh_vien  INTEGER NOT NULL CHECK (la_chap_hanh_vien IN (0, 1)),
  don_vi_id          INTEGER NOT NULL REFERENCES don_vi(id),
  dang_cong_tac      INTEGER NOT NULL CHECK (dang_cong_tac IN (0, 1))
);

CREATE TABLE viec_thi_hanh (
  id                     INTEGER PRIMARY KEY,
  ma_viec                TEXT NOT NULL UNIQUE,
  don_vi_id              INTEGER NOT NULL REFERENCES don_vi(id),
  ma_tinh                TEXT NOT NULL REFERENCES tinh(ma_tinh),
  chap_hanh_vien_id      INTEGER REFERENCES can_bo(id),
  loai_an                TEXT NOT NULL CHECK (loai_an IN ('ds', 'hs', 'hngd', 'kdtm', 'ld', 'hc', 'ps', 'khac')),
  hinh_thuc              TEXT NOT NULL CHECK (hinh_thuc IN ('chu_dong', 'theo_yeu_cau')),
  ngay_thu_ly            DATE NOT NULL,
  ngay_ra_quyet_dinh     DATE,
  ngay_xac_minh          DATE,
  co_dieu_kien           INTEGER NOT NULL CHECK (co_dieu_kien IN (0, 1)),
  trang_thai             TEXT NOT NULL CHECK (trang_thai IN ('cho_ra_quyet_dinh', 'dang_thi_hanh',
                           'chua_co_dieu_kien', 'hoan', 'tam_dinh_chi', 'xong', 'dinh_chi', 'uy_thac')),
  so_tien_phai_thi_hanh  BIGINT NOT NULL CHECK (so_tien_phai_thi_hanh >= 0),
  so_tien_da_thi_hanh    BIGINT NOT NULL CHECK (so_tien_da_thi_hanh >= 0),
  ngay_ket_thuc          DATE,
  nam_thong_ke           INTEGER NOT NULL,
  CHECK (so_tien_da_thi_hanh <= so_tien_phai_thi_hanh),
  CHECK ((ngay_ket_thuc IS NOT NULL) = (trang_thai IN ('xong', 'dinh_chi', 'uy_thac'))),
  CHECK ((co_dieu_kien = 0) = (trang_thai = 'chua_co_dieu_kien'))
);

CREATE TABLE duong_su (
  id        INTEGER PRIMARY KEY,
  viec_id   INTEGER NOT NULL REFERENCES viec_thi_hanh(id),
  vai_tro   TEXT NOT NULL CHECK (vai_tro IN ('phai_thi_hanh', 'duoc_thi_hanh', 'lien_quan')),
  loai      TEXT NOT NULL CHECK (loai IN ('ca_nhan', 'doanh_nghiep', 'to_chuc_tin_dung', 'nha_nuoc', 'to_chuc_khac')),
  ho_ten    TEXT NOT NULL
);

CREATE TABLE quyet_dinh (
  id             INTEGER PRIMARY KEY,
  viec_id        INTEGER NOT NULL REFERENCES viec_thi_hanh(id),
  loai           TEXT NOT NULL CHECK (loai IN ('thi_hanh_an', 'chua_co_dieu_kien', 'hoan', 'tiep_tuc',
                   'tam_dinh_chi', 'dinh_chi', 'uy_thac', 'cuong_che', 'khac')),
  so_quyet_dinh  TEXT NOT NULL,
  ngay_ky        DATE NOT NULL,
  ky_so          INTEGER NOT NULL CHECK (ky_so IN (0, 1))
);

CREATE TABLE bien_phap_cuong_che (
  id              INTEGER PRIMARY KEY,
  viec_id         INTEGER NOT NULL REFERENCES viec_thi_hanh(id),
  nhom            TEXT NOT NULL CHECK (nhom IN ('bao_dam', 'cuong_che', 'xu_ly_tai_san')),
  loai            TEXT NOT NULL CHECK (loai IN ('phong_toa_tai_khoan', 'tam_giu_tai_san', 'tam_dung_dang_ky',
                    'khau_tru_tai_khoan', 'tru_thu_nhap', 'ke_bien_tai_san', 'khai_thac_tai_san',
                    'buoc_chuyen_giao', 'buoc_thuc_hien_cong_viec', 'tham_dinh_gia', 'ban_dau_gia')),
  ngay_thuc_hien  DATE NOT NULL
);

CREATE TABLE bien_lai (
  id           INTEGER PRIMARY KEY,
  so_bien_lai  TEXT NOT NULL UNIQUE,
  don_vi_id    INTEGER NOT NULL REFERENCES don_vi(id),
  ma_tinh      TEXT NOT NULL REFERENCES tinh(ma_tinh),
  viec_id      INTEGER REFERENCES viec_thi_hanh(id),
  ngay_thu     DATE NOT NULL,
  so_tien      BIGINT NOT NULL CHECK (so_tien >= 0),
  dien_tu      INTEGER NOT NULL CHECK (dien_tu IN (0, 1)),
  kenh_gui     TEXT NOT NULL CHECK (kenh_gui IN ('email', 'sms', 'giay')),
  ky_so        INTEGER NOT NULL CHECK (ky_so IN (0, 1)),
  trang_thai   TEXT NOT NULL CHECK (trang_thai IN ('hop_le', 'da_huy'))
);

CREATE TABLE don_thu (
  id               INTEGER PRIMARY KEY,
  don_vi_id        INTEGER NOT NULL REFERENCES don_vi(id),
  ma_tinh          TEXT REFERENCES tinh(ma_tinh),
  viec_id          INTEGER REFERENCES viec_thi_hanh(id),
  loai             TEXT NOT NULL CHECK (loai IN ('khieu_nai', 'to_cao', 'kien_nghi')),
  kenh             TEXT NOT NULL CHECK (kenh IN ('vneid', 'qr', 'truc_tiep', 'buu_dien')),
  ngay_nhan        DATE NOT NULL,
  han_giai_quyet   DATE NOT NULL,
  ngay_giai_quyet  DATE,
  trang_thai       TEXT NOT NULL CHECK (trang_thai IN ('moi', 'dang_giai_quyet', 'da_giai_quyet', 'chuyen_don')),
  ket_qua          TEXT CHECK (ket_qua IN ('dung', 'dung_mot_phan', 'sai')),
  CHECK ((ngay_giai_quyet IS NOT NULL) = (trang_thai = 'da_giai_quyet'))
);

CREATE TABLE chi_tieu (
  nam_thong_ke  INTEGER NOT NULL,
  don_vi_id     INTEGER NOT NULL REFERENCES don_vi(id),
  ty_le_viec    NUMERIC(5,2) NOT NULL CHECK (ty_le_viec BETWEEN 0 AND 100),
  ty_le_tien    NUMERIC(5,2) NOT NULL CHECK (ty_le_tien BETWEEN 0 AND 100),
  PRIMARY KEY (nam_thong_ke, don_vi_id)
);

CREATE TABLE nhiem_vu (
  id               INTEGER PRIMARY KEY,
  tieu_de          TEXT NOT NULL,
  noi_dung         TEXT NOT NULL,
  loai_hanh_dong   TEXT NOT NULL CHECK (loai_hanh_dong IN ('ra_soat', 'bao_cao', 'xu_ly', 'kiem_tra', 'doi_chieu', 'khac')),
  don_vi_id        INTEGER NOT NULL REFERENCES don_vi(id),
  nguoi_giao_id    INTEGER REFERENCES can_bo(id),
  ngay_giao        DATE NOT NULL,
  han_hoan_thanh   DATE NOT NULL,
  trang_thai       TEXT NOT NULL CHECK (trang_thai IN ('moi', 'dang_thuc_hien', 'hoan_thanh', 'huy')),
  tien_do          INTEGER NOT NULL CHECK (tien_do BETWEEN 0 AND 100),
  ngay_hoan_thanh  DATE,
  so_luong         INTEGER CHECK (so_luong > 0),
  pham_vi          TEXT,
  cau_hoi_goc      TEXT,
  CHECK ((ngay_hoan_thanh IS NOT NULL) = (trang_thai = 'hoan_thanh'))
);

CREATE TABLE nhiem_vu_viec (
  nhiem_vu_id  INTEGER NOT NULL REFERENCES nhiem_vu(id),
  viec_id      INTEGER NOT NULL REFERENCES viec_thi_hanh(id),
  PRIMARY KEY (nhiem_vu_id, viec_id)
);

CREATE TABLE lich (
  ngay               DATE PRIMARY KEY,
  nam                INTEGER NOT NULL,
  thang              TEXT NOT NULL,
  quy                TEXT NOT NULL,
  thu                INTEGER NOT NULL CHECK (thu BETWEEN 1 AND 7),
  la_ngay_lam_viec   INTEGER NOT NULL CHECK (la_ngay_lam_viec IN (0, 1)),
  ten_ngay_le        TEXT,
  stt_ngay           INTEGER NOT NULL,
  stt_ngay_lam_viec  INTEGER NOT NULL,
  nam_thong_ke       INTEGER NOT NULL
);

CREATE INDEX ix_viec_tinh_tt ON viec_thi_hanh(ma_tinh, trang_thai);
CREATE INDEX ix_viec_dv ON viec_thi_hanh(don_vi_id);
CREATE INDEX ix_viec_chv ON viec_thi_hanh(chap_hanh_vien_id);
CREATE INDEX ix_viec_thuly ON viec_thi_hanh(ngay_thu_ly);
CREATE INDEX ix_viec_ketthuc ON viec_thi_hanh(ngay_ket_thuc);
CREATE INDEX ix_ds_viec ON duong_su(viec_id);
CREATE INDEX ix_qd_viec ON quyet_dinh(viec_id);
CREATE INDEX ix_bpcc_viec ON bien_phap_cuong_che(viec_id);
CREATE INDEX ix_bl_ngay ON bien_lai(ngay_thu);
CREATE INDEX ix_bl_viec ON bien_lai(viec_id);
CREATE INDEX ix_dt_ngay ON don_thu(ngay_nhan);
CREATE INDEX ix_canbo_dv ON can_bo(don_vi_id);
CREATE INDEX ix_donvi_tinh ON don_vi(ma_tinh);
CREATE INDEX ix_nv_dv ON nhiem_vu(don_vi_id);
CREATE INDEX ix_nvv_viec ON nhiem_vu_viec(viec_id);
