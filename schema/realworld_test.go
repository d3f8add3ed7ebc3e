package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// realWorld are tables written after popular applications' MySQL schemas
// (WordPress, Nextcloud, Magento's EAV, Drupal, phpBB, Redmine) and the
// MariaDB features they use (written for landlord from what those schemas
// look like, not copied): zero dates, prefix, FULLTEXT, SPATIAL and
// descending indexes, per-column charsets and collations, generated
// columns, json with its CHECK, enum and set values in Unicode, comments
// with quotes, self-referencing and composite foreign keys, table options;
// each is applied to a source database, written as layers by LayerFiles,
// reconciled into a fresh tenant that then plans to nothing, hashes as
// desired, has the source's SHOW CREATE TABLE and no drift against its
// own snapshot.
var realWorld = map[string]string{
	"wordpress": `
CREATE TABLE wp_users (
 ID bigint(20) unsigned NOT NULL auto_increment,
 user_login varchar(60) NOT NULL default '',
 user_pass varchar(255) NOT NULL default '',
 user_nicename varchar(50) NOT NULL default '',
 user_email varchar(100) NOT NULL default '',
 user_url varchar(100) NOT NULL default '',
 user_registered datetime NOT NULL default '0000-00-00 00:00:00',
 user_activation_key varchar(255) NOT NULL default '',
 user_status int(11) NOT NULL default '0',
 display_name varchar(250) NOT NULL default '',
 PRIMARY KEY  (ID),
 KEY user_login_key (user_login),
 KEY user_nicename (user_nicename),
 KEY user_email (user_email)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_usermeta (
 umeta_id bigint(20) unsigned NOT NULL auto_increment,
 user_id bigint(20) unsigned NOT NULL default '0',
 meta_key varchar(255) default NULL,
 meta_value longtext,
 PRIMARY KEY  (umeta_id),
 KEY user_id (user_id),
 KEY meta_key (meta_key(191))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_posts (
 ID bigint(20) unsigned NOT NULL auto_increment,
 post_author bigint(20) unsigned NOT NULL default '0',
 post_date datetime NOT NULL default '0000-00-00 00:00:00',
 post_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
 post_content longtext NOT NULL,
 post_title text NOT NULL,
 post_excerpt text NOT NULL,
 post_status varchar(20) NOT NULL default 'publish',
 comment_status varchar(20) NOT NULL default 'open',
 ping_status varchar(20) NOT NULL default 'open',
 post_password varchar(255) NOT NULL default '',
 post_name varchar(200) NOT NULL default '',
 to_ping text NOT NULL,
 pinged text NOT NULL,
 post_modified datetime NOT NULL default '0000-00-00 00:00:00',
 post_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00',
 post_content_filtered longtext NOT NULL,
 post_parent bigint(20) unsigned NOT NULL default '0',
 guid varchar(255) NOT NULL default '',
 menu_order int(11) NOT NULL default '0',
 post_type varchar(20) NOT NULL default 'post',
 post_mime_type varchar(100) NOT NULL default '',
 comment_count bigint(20) NOT NULL default '0',
 PRIMARY KEY  (ID),
 KEY post_name (post_name(191)),
 KEY type_status_date (post_type,post_status,post_date,ID),
 KEY post_parent (post_parent),
 KEY post_author (post_author)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_options (
 option_id bigint(20) unsigned NOT NULL auto_increment,
 option_name varchar(191) NOT NULL default '',
 option_value longtext NOT NULL,
 autoload varchar(20) NOT NULL default 'yes',
 PRIMARY KEY  (option_id),
 UNIQUE KEY option_name (option_name),
 KEY autoload (autoload)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE wp_links (
 link_id bigint(20) unsigned NOT NULL auto_increment,
 link_url varchar(255) NOT NULL default '',
 link_visible varchar(20) NOT NULL default 'Y',
 link_owner bigint(20) unsigned NOT NULL default '1',
 link_rating int(11) NOT NULL default '0',
 link_updated datetime NOT NULL default '0000-00-00 00:00:00',
 PRIMARY KEY  (link_id),
 KEY link_visible (link_visible)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`,
	"nextcloud": `
CREATE TABLE oc_filecache (
 fileid bigint(20) NOT NULL AUTO_INCREMENT,
 storage bigint(20) NOT NULL DEFAULT 0,
 path varchar(4000) COLLATE utf8mb4_bin DEFAULT NULL,
 path_hash varchar(32) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
 parent bigint(20) NOT NULL DEFAULT 0,
 name varchar(250) COLLATE utf8mb4_bin DEFAULT NULL,
 mimetype bigint(20) NOT NULL DEFAULT 0,
 size bigint(20) NOT NULL DEFAULT 0,
 mtime bigint(20) NOT NULL DEFAULT 0,
 etag varchar(40) COLLATE utf8mb4_bin DEFAULT NULL,
 permissions int(11) DEFAULT 0,
 checksum varchar(255) COLLATE utf8mb4_bin DEFAULT NULL,
 PRIMARY KEY (fileid),
 UNIQUE KEY fs_storage_path_hash (storage,path_hash),
 KEY fs_parent_name_hash (parent,name),
 KEY fs_storage_mimetype (storage,mimetype),
 KEY fs_id_storage_size (fileid,storage,size),
 KEY fs_storage_path_prefix (storage,path(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=COMPRESSED;
CREATE TABLE oc_appconfig (
 appid varchar(32) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
 configkey varchar(64) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
 configvalue longtext COLLATE utf8mb4_bin DEFAULT NULL,
 type int(10) unsigned NOT NULL DEFAULT 2,
 lazy smallint(5) unsigned NOT NULL DEFAULT 0,
 PRIMARY KEY (appid,configkey),
 KEY ac_lazy_i (lazy)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=COMPRESSED;
CREATE TABLE oc_jobs (
 id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
 class varchar(255) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
 argument varchar(4000) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
 last_run int(11) DEFAULT 0,
 last_checked int(11) DEFAULT 0,
 reserved_at int(11) DEFAULT 0,
 time_sensitive smallint(6) NOT NULL DEFAULT 1,
 argument_hash varchar(64) COLLATE utf8mb4_bin DEFAULT NULL,
 PRIMARY KEY (id),
 KEY job_class_index (class),
 KEY job_lastcheck_reserved (last_checked,reserved_at),
 KEY job_argument_hash (class,argument_hash)
) ENGINE=InnoDB AUTO_INCREMENT=100 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=COMPRESSED`,
	"magento eav": `
CREATE TABLE eav_entity_type (
 entity_type_id smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity Type ID',
 entity_type_code varchar(50) NOT NULL COMMENT 'Entity Type Code',
 entity_table varchar(255) DEFAULT NULL COMMENT 'Entity Table',
 PRIMARY KEY (entity_type_id),
 KEY EAV_ENTITY_TYPE_ENTITY_TYPE_CODE (entity_type_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COMMENT='Eav Entity Type';
CREATE TABLE eav_attribute (
 attribute_id smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Attribute ID',
 entity_type_id smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Entity Type ID',
 attribute_code varchar(255) NOT NULL COMMENT 'Attribute Code',
 backend_type varchar(8) NOT NULL DEFAULT 'static' COMMENT 'Data Type for Saving in DB',
 is_required smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Defines Is Required',
 default_value text DEFAULT NULL COMMENT 'Default Value',
 note varchar(255) DEFAULT NULL COMMENT 'Note',
 PRIMARY KEY (attribute_id),
 UNIQUE KEY EAV_ATTRIBUTE_ENTITY_TYPE_ID_ATTRIBUTE_CODE (entity_type_id,attribute_code),
 CONSTRAINT EAV_ATTRIBUTE_ENTITY_TYPE_ID_EAV_ENTITY_TYPE_ENTITY_TYPE_ID FOREIGN KEY (entity_type_id) REFERENCES eav_entity_type (entity_type_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COMMENT='Eav Attribute';
CREATE TABLE store (
 store_id smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Store ID',
 code varchar(32) DEFAULT NULL COMMENT 'Code',
 PRIMARY KEY (store_id),
 UNIQUE KEY STORE_CODE (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COMMENT='Stores';
CREATE TABLE catalog_product_entity (
 entity_id int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity ID',
 attribute_set_id smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute Set ID',
 type_id varchar(32) NOT NULL DEFAULT 'simple' COMMENT 'Type ID',
 sku varchar(64) NOT NULL COMMENT 'SKU',
 has_options smallint(6) NOT NULL DEFAULT 0 COMMENT 'Has Options',
 created_at timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'Creation Time',
 updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp() COMMENT 'Update Time',
 PRIMARY KEY (entity_id),
 KEY CATALOG_PRODUCT_ENTITY_SKU (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COMMENT='Catalog Product Table';
CREATE TABLE catalog_product_entity_decimal (
 value_id int(11) NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
 attribute_id smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
 store_id smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store ID',
 entity_id int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
 value decimal(20,6) DEFAULT NULL COMMENT 'Value',
 PRIMARY KEY (value_id),
 UNIQUE KEY CATALOG_PRODUCT_ENTITY_DECIMAL_ENTITY_ID_ATTRIBUTE_ID_STORE_ID (entity_id,attribute_id,store_id),
 KEY CATALOG_PRODUCT_ENTITY_DECIMAL_STORE_ID (store_id),
 KEY CATALOG_PRODUCT_ENTITY_DECIMAL_ATTRIBUTE_ID (attribute_id),
 CONSTRAINT CAT_PRD_ENTT_DEC_ATTR_ID_EAV_ATTR_ATTR_ID FOREIGN KEY (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
 CONSTRAINT CAT_PRD_ENTT_DEC_ENTT_ID_CAT_PRD_ENTT_ENTT_ID FOREIGN KEY (entity_id) REFERENCES catalog_product_entity (entity_id) ON DELETE CASCADE,
 CONSTRAINT CATALOG_PRODUCT_ENTITY_DECIMAL_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COMMENT='Catalog Product Decimal Attribute Backend Table'`,
	"drupal": `
CREATE TABLE cache_default (
 cid varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' COMMENT 'Primary Key: Unique cache ID.',
 data longblob DEFAULT NULL COMMENT 'A collection of data to cache.',
 expire int(11) NOT NULL DEFAULT 0 COMMENT 'A Unix timestamp indicating when the cache entry should expire, or -1 for never.',
 created decimal(14,3) NOT NULL DEFAULT 0.000 COMMENT 'A timestamp with millisecond precision indicating when the cache entry was created.',
 serialized smallint(6) NOT NULL DEFAULT 0 COMMENT 'A flag to indicate whether content is serialized (1) or not (0).',
 tags longtext DEFAULT NULL COMMENT 'Space-separated list of cache tags for this entry.',
 checksum varchar(255) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL COMMENT 'The tag invalidation checksum when this entry was saved.',
 PRIMARY KEY (cid),
 KEY expire (expire),
 KEY created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Storage for the cache API.';
CREATE TABLE node_field_data (
 nid int(10) unsigned NOT NULL,
 vid int(10) unsigned NOT NULL,
 type varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL COMMENT 'The ID of the target entity.',
 langcode varchar(12) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
 status tinyint(4) NOT NULL,
 uid int(10) unsigned NOT NULL COMMENT 'The ID of the target entity.',
 title varchar(255) NOT NULL,
 created int(11) NOT NULL,
 promote tinyint(4) DEFAULT NULL,
 default_langcode tinyint(4) NOT NULL,
 PRIMARY KEY (nid,langcode),
 KEY node__id__default_langcode__langcode (nid,default_langcode,langcode),
 KEY node__vid (vid),
 KEY node__type (type),
 KEY node__status_type (status,type,nid),
 KEY node__title_type (title(191),type(4)),
 KEY node_field__uid__target_id (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='The data table for node entities.';
CREATE TABLE sequences (
 value int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'The value of the sequence.',
 PRIMARY KEY (value)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Stores IDs.'`,
	"mariadb features": `
CREATE TABLE geo (
 id int NOT NULL AUTO_INCREMENT,
 pt point NOT NULL,
 area polygon DEFAULT NULL,
 body text NOT NULL,
 PRIMARY KEY (id),
 SPATIAL KEY sp_pt (pt),
 FULLTEXT KEY ft_body (body)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 AUTO_INCREMENT=5000;
CREATE TABLE odd (
 id bigint unsigned NOT NULL AUTO_INCREMENT,
 e enum('its','a b','ünï','') NOT NULL DEFAULT 'a b' COMMENT 'enum ''quoted'' — ünïcode',
 s set('x','y z','ω') DEFAULT 'x,ω',
 doc json DEFAULT NULL CHECK (json_valid(doc)),
 changed timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6),
 name varchar(100) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
 lower_name varchar(100) AS (lower(name)) VIRTUAL,
 name_len int AS (char_length(name)) PERSISTENT,
 score int NOT NULL DEFAULT 0,
 PRIMARY KEY (id),
 KEY score_desc (score DESC, id),
 KEY k_gen (name_len),
 CONSTRAINT chk_score CHECK (score between -10 and 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='table ''odd'' with "quotes" and ünïcode ✓';
CREATE TABLE tree (
 id int NOT NULL,
 parent_id int DEFAULT NULL,
 org int NOT NULL,
 code varchar(10) NOT NULL,
 PRIMARY KEY (id),
 UNIQUE KEY org_code (org, code),
 KEY parent_id (parent_id),
 CONSTRAINT tree_parent FOREIGN KEY (parent_id) REFERENCES tree (id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE tree_link (
 org int NOT NULL,
 code varchar(10) NOT NULL,
 note varchar(10),
 KEY org_code (org, code),
 CONSTRAINT link_tree FOREIGN KEY (org, code) REFERENCES tree (org, code) ON DELETE CASCADE
) ENGINE=InnoDB`,
	"phpbb redmine": `
CREATE TABLE phpbb_posts (
 post_id int(10) unsigned NOT NULL AUTO_INCREMENT,
 topic_id int(10) unsigned NOT NULL DEFAULT 0,
 forum_id mediumint(8) unsigned NOT NULL DEFAULT 0,
 poster_ip varchar(40) COLLATE utf8mb3_bin NOT NULL DEFAULT '',
 post_time int(11) unsigned NOT NULL DEFAULT 0,
 post_text mediumtext COLLATE utf8mb3_bin NOT NULL,
 post_subject varchar(255) CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci NOT NULL DEFAULT '',
 bbcode_bitfield varchar(255) COLLATE utf8mb3_bin NOT NULL DEFAULT '',
 PRIMARY KEY (post_id),
 KEY forum_id (forum_id),
 KEY topic_id (topic_id),
 KEY poster_ip (poster_ip),
 KEY tid_post_time (topic_id,post_time),
 FULLTEXT KEY post_subject (post_subject),
 FULLTEXT KEY post_content (post_text)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE projects (
 id int(11) NOT NULL AUTO_INCREMENT,
 name varchar(255) NOT NULL DEFAULT '',
 parent_id int(11) DEFAULT NULL,
 lft int(11) DEFAULT NULL,
 rgt int(11) DEFAULT NULL,
 created_on timestamp NULL DEFAULT NULL,
 PRIMARY KEY (id),
 KEY index_projects_on_lft (lft),
 CONSTRAINT fk_projects_parent FOREIGN KEY (parent_id) REFERENCES projects (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE ar_internal_metadata (
 ` + "`key`" + ` varchar(255) NOT NULL,
 value varchar(255) DEFAULT NULL,
 created_at datetime(6) NOT NULL,
 updated_at datetime(6) NOT NULL,
 PRIMARY KEY (` + "`key`" + `)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
}

func TestRealWorldConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := mariaURL(t)
	for name, src := range realWorld {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, err := Open(ctx, url, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			prefix := testenv.Name(t)
			db := testenv.DB(t)
			testenv.DropPrefix(t, db, prefix)
			source := prefix + "src"
			if _, err := db.Exec("CREATE DATABASE " + quoteIdent(source) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
				t.Fatal(err)
			}
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "USE "+quoteIdent(source)); err != nil {
				t.Fatal(err)
			}
			for _, st := range strings.Split(src, ";\n") {
				if _, err := conn.ExecContext(ctx, st); err != nil {
					t.Fatalf("%v\n%s", err, st)
				}
			}
			stg, err := srv.Read(ctx, source)
			if err != nil {
				t.Fatal(err)
			}
			live0, err := stg.Inspect(ctx)
			stg.Close()
			if err != nil {
				t.Fatal(err)
			}
			layers := corpusLayers(t, "rw", live0)
			d, err := Compose(MariaDB, layers, Options{Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"})
			if err != nil {
				t.Fatalf("compose: %v", err)
			}
			want, err := srv.DesiredHash(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			provisionLikeSource(t, srv, prefix+"t", d, want, live0, "")
		})
	}
}
