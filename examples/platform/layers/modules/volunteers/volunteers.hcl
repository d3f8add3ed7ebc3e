# Election-day volunteers. Depends on the election module's polling stations.

table "volunteer_shifts" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "member_id" {
    type     = bigint
    unsigned = true
  }
  column "polling_station_id" {
    type     = bigint
    unsigned = true
  }
  column "role" {
    type    = enum("agent", "runner", "observer")
    default = "agent"
  }
  column "starts_at" {
    type = datetime
  }
  column "ends_at" {
    type = datetime
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "volunteer_shifts_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
    on_delete   = CASCADE
  }
  foreign_key "volunteer_shifts_station_fk" {
    columns     = [column.polling_station_id]
    ref_columns = [table.polling_stations.column.id]
    on_delete   = CASCADE
  }
  index "volunteer_shifts_member_idx" {
    columns = [column.member_id]
  }
  index "volunteer_shifts_station_idx" {
    columns = [column.polling_station_id]
  }
}
