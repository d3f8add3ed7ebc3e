# Reference tables of a political party, with their rows in data/: the
# levels committees are formed at, and the kinds of membership fee.

table "committee_levels" {
  schema = schema.tenant
  column "id" {
    type     = tinyint
    unsigned = true
  }
  column "code" {
    type = varchar(16)
  }
  column "name_en" {
    type = varchar(64)
  }
  column "name_ne" {
    type = varchar(64)
  }
  column "sort_order" {
    type     = tinyint
    unsigned = true
  }
  primary_key {
    columns = [column.id]
  }
  index "committee_levels_code_unique" {
    unique  = true
    columns = [column.code]
  }
}

table "membership_fee_types" {
  schema = schema.tenant
  column "id" {
    type           = int
    unsigned       = true
    auto_increment = true
  }
  column "code" {
    type = varchar(32)
  }
  column "name_en" {
    type = varchar(128)
  }
  column "name_ne" {
    type = varchar(128)
  }
  column "period" {
    type = enum("annual", "once")
  }
  column "amount_npr" {
    type     = int
    unsigned = true
    null     = true
  }
  primary_key {
    columns = [column.id]
  }
  index "membership_fee_types_code_unique" {
    unique  = true
    columns = [column.code]
  }
}
