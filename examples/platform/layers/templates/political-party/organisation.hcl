# Party organisation: committees at every level, their members, and events.

table "committees" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "parent_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  column "name" {
    type = varchar(191)
  }
  column "level" {
    type = enum("central", "province", "district", "municipal", "ward")
  }
  column "province_id" {
    type     = smallint
    unsigned = true
    null     = true
  }
  column "district_id" {
    type     = smallint
    unsigned = true
    null     = true
  }
  column "local_level_id" {
    type     = int
    unsigned = true
    null     = true
  }
  column "formed_on" {
    type = date
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "committees_parent_fk" {
    columns     = [column.parent_id]
    ref_columns = [column.id]
  }
  foreign_key "committees_province_fk" {
    columns     = [column.province_id]
    ref_columns = [table.provinces.column.id]
  }
  foreign_key "committees_district_fk" {
    columns     = [column.district_id]
    ref_columns = [table.districts.column.id]
  }
  foreign_key "committees_local_level_fk" {
    columns     = [column.local_level_id]
    ref_columns = [table.local_levels.column.id]
  }
  index "committees_parent_idx" {
    columns = [column.parent_id]
  }
  index "committees_province_idx" {
    columns = [column.province_id]
  }
  index "committees_district_idx" {
    columns = [column.district_id]
  }
  index "committees_local_level_idx" {
    columns = [column.local_level_id]
  }
}

table "committee_members" {
  schema = schema.tenant
  column "committee_id" {
    type     = bigint
    unsigned = true
  }
  column "member_id" {
    type     = bigint
    unsigned = true
  }
  column "position" {
    type = varchar(64)
  }
  column "since" {
    type = date
    null = true
  }
  column "until" {
    type = date
    null = true
  }
  primary_key {
    columns = [column.committee_id, column.member_id]
  }
  foreign_key "committee_members_committee_fk" {
    columns     = [column.committee_id]
    ref_columns = [table.committees.column.id]
    on_delete   = CASCADE
  }
  foreign_key "committee_members_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
    on_delete   = CASCADE
  }
  index "committee_members_member_idx" {
    columns = [column.member_id]
  }
}

table "events" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "committee_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  column "title" {
    type = varchar(191)
  }
  column "kind" {
    type    = enum("meeting", "rally", "convention", "training", "other")
    default = "meeting"
  }
  column "venue" {
    type = varchar(191)
    null = true
  }
  column "starts_at" {
    type = datetime
  }
  column "ends_at" {
    type = datetime
    null = true
  }
  column "description" {
    type = text
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "events_committee_fk" {
    columns     = [column.committee_id]
    ref_columns = [table.committees.column.id]
    on_delete   = SET_NULL
  }
  index "events_committee_idx" {
    columns = [column.committee_id]
  }
  index "events_starts_at_idx" {
    columns = [column.starts_at]
  }
}

table "event_attendees" {
  schema = schema.tenant
  column "event_id" {
    type     = bigint
    unsigned = true
  }
  column "member_id" {
    type     = bigint
    unsigned = true
  }
  column "attended" {
    type    = bool
    default = false
  }
  primary_key {
    columns = [column.event_id, column.member_id]
  }
  foreign_key "event_attendees_event_fk" {
    columns     = [column.event_id]
    ref_columns = [table.events.column.id]
    on_delete   = CASCADE
  }
  foreign_key "event_attendees_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
    on_delete   = CASCADE
  }
  index "event_attendees_member_idx" {
    columns = [column.member_id]
  }
}
