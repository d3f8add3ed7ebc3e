# Nepal's administrative divisions: provinces, districts and local levels
# (metropolitan and sub-metropolitan cities, municipalities and rural
# municipalities). Every tenant carries the same reference tables; their rows
# are in data/ (all 7 provinces and 77 districts, and the 21 local levels of
# three districts, not all of Nepal's 753: see README.md).

table "provinces" {
  schema = schema.tenant
  column "id" {
    type     = smallint
    unsigned = true
  }
  column "name_en" {
    type = varchar(64)
  }
  column "name_ne" {
    type = varchar(64)
  }
  column "capital" {
    type = varchar(64)
    null = true
  }
  primary_key {
    columns = [column.id]
  }
}

table "districts" {
  schema = schema.tenant
  column "id" {
    type     = smallint
    unsigned = true
  }
  column "province_id" {
    type     = smallint
    unsigned = true
  }
  column "name_en" {
    type = varchar(64)
  }
  column "name_ne" {
    type = varchar(64)
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "districts_province_fk" {
    columns     = [column.province_id]
    ref_columns = [table.provinces.column.id]
  }
  index "districts_province_idx" {
    columns = [column.province_id]
  }
}

table "local_levels" {
  schema = schema.tenant
  column "id" {
    type     = int
    unsigned = true
  }
  column "district_id" {
    type     = smallint
    unsigned = true
  }
  column "name_en" {
    type = varchar(128)
  }
  column "name_ne" {
    type = varchar(128)
  }
  column "kind" {
    type = enum("metropolitan", "sub_metropolitan", "municipality", "rural_municipality")
  }
  column "ward_count" {
    type     = tinyint
    unsigned = true
    default  = 1
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "local_levels_district_fk" {
    columns     = [column.district_id]
    ref_columns = [table.districts.column.id]
  }
  index "local_levels_district_idx" {
    columns = [column.district_id]
  }
}
