/**
 * The cutover, as a PL/pgSQL function in `<prefix>_control`, so a person or
 * a pipeline switches with one statement and no copy of this tool:
 *
 *   SELECT "servicedesk_control".switch_to('servicedesk_v20250301_141503');
 *
 * It runs inside the caller's transaction: DROP VIEW / CREATE VIEW and
 * COMMENT ON SCHEMA are transactional (a refusal leaves everything as it was), and dropping a view takes an ACCESS
 * EXCLUSIVE lock held until commit, so a reader either ran before the switch
 * or waits and then sees the new views: never a mix of versions.
 */
import { quoteIdent, quoteLiteral } from "../sql/identifiers";
import { FORMAT_VERSION, TOOL_NAME } from "./metadata";
import { prefixLockKeySql } from "./lock";
import { controlSchemaName, stableSchemaName, versionNamePattern } from "./naming";

/**
 * SQLSTATEs raised by switch_to(), so callers tell its refusals from other
 * failures without parsing messages (class "SD" is not used by PostgreSQL).
 */
export const SWITCH_ERROR_CODES = {
  notAVersion: "SD001",
  notReady: "SD002",
  stableNotOurs: "SD003",
  /** A view others depend on (a dashboard's own view) cannot follow the switch. */
  dependentViews: "SD004",
} as const;

/** Internal to switch_to(): rolls back the subtransaction that waited for a busy view, releasing its lock. */
const LOCK_RELEASED_CODE = "SD900";

/**
 * Rounds of "lock every stable view NOWAIT, else wait for the busy one
 * holding no other": a reader joining two views takes their locks one by
 * one, so dropping views one by one could deadlock with it. Waiting only
 * while holding no view lock rules the cycle out, and the queued request
 * keeps later readers from starving the switch. After the last round the
 * drops lock in name order and the deadlock detector is the backstop.
 */
const VIEW_LOCK_ROUNDS = 100;

/**
 * The body reads comments with a guarded jsonb cast (any schema may carry a
 * comment that is not JSON) and quotes every identifier with format('%I').
 * Grants on the stable views are recorded before the drop and re-applied to
 * the views of the same name, so a dashboard role keeps its SELECT across
 * cutovers. search_path is pinned so no object of the caller's can shadow a
 * catalog function. SECURITY DEFINER: the views are always created by the
 * role that owns the versions, whoever runs the cutover (a DBA's psql as a
 * superuser included), so the next run can drop and recreate them; EXECUTE
 * is revoked from PUBLIC, and only roles with USAGE on the control schema
 * reach it anyway.
 */
const SWITCH_FUNCTION_TEMPLATE = `
CREATE OR REPLACE FUNCTION :control."switch_to"("target" text) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $switch_to$
DECLARE
  stable_schema constant text := :stable;
  version_meta jsonb;
  stable_meta jsonb;
  old_active text;
  new_previous text;
  stray text;
  busy text;
  saved_grants jsonb;
  rel record;
  column_list text;
  dependents text;
  new_table oid;
  changed text;
  kept text[] := '{}';
  doomed text;
  definition text;
  views_done oid[] := '{}';
  made int;
BEGIN
  PERFORM pg_advisory_xact_lock(:lockKey);

  BEGIN
    SELECT obj_description(n.oid, 'pg_namespace')::jsonb INTO version_meta
    FROM pg_namespace n WHERE n.nspname = target;
  EXCEPTION WHEN invalid_text_representation THEN version_meta := NULL;
  END;
  IF target IS NULL OR target !~ :pattern OR version_meta IS NULL
     OR version_meta->>'tool' IS DISTINCT FROM :tool
     OR version_meta->>'formatVersion' IS DISTINCT FROM :format
     OR version_meta->>'prefix' IS DISTINCT FROM stable_schema
     OR version_meta->>'schema' IS DISTINCT FROM target THEN
    RAISE EXCEPTION 'cannot switch "%" to "%": no versioned schema of this prefix has that name', stable_schema, target
      USING ERRCODE = :notAVersion;
  END IF;
  IF version_meta->>'status' IS DISTINCT FROM 'ready' THEN
    RAISE EXCEPTION 'cannot switch "%" to "%": its status is "%", and only a ready version can become active',
      stable_schema, target, version_meta->>'status' USING ERRCODE = :notReady;
  END IF;

  BEGIN
    SELECT obj_description(n.oid, 'pg_namespace')::jsonb INTO stable_meta
    FROM pg_namespace n WHERE n.nspname = stable_schema;
  EXCEPTION WHEN invalid_text_representation THEN stable_meta := NULL;
  END;
  IF stable_meta IS NULL OR stable_meta->>'tool' IS DISTINCT FROM :tool
     OR stable_meta->>'prefix' IS DISTINCT FROM stable_schema THEN
    RAISE EXCEPTION 'schema "%" is missing or was not created by %', stable_schema, :tool USING ERRCODE = :stableNotOurs;
  END IF;
  SELECT c.relname INTO stray FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = stable_schema AND c.relkind <> 'v' ORDER BY c.relname LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'schema "%" holds "%", which is not a view; the stable schema may hold only views', stable_schema, stray
      USING ERRCODE = :stableNotOurs;
  END IF;

  SELECT coalesce(jsonb_agg(jsonb_build_object('view', c.relname, 'grant', format('GRANT %s ON %I.%I TO %s%s',
           a.privilege_type, stable_schema, c.relname,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))), '[]'::jsonb)
  INTO saved_grants
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
  WHERE n.nspname = stable_schema AND c.relkind = 'v' AND a.grantee <> c.relowner;

  FOR attempt IN 1..:lockRounds LOOP
    busy := NULL;
    BEGIN
      FOR rel IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = stable_schema AND c.relkind = 'v' ORDER BY c.relname LOOP
        busy := rel.relname;
        EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE NOWAIT', stable_schema, rel.relname);
      END LOOP;
      busy := NULL;
    EXCEPTION WHEN lock_not_available THEN
      BEGIN
        EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', stable_schema, busy);
        RAISE EXCEPTION 'released' USING ERRCODE = :released;
      EXCEPTION WHEN SQLSTATE :released THEN NULL;
      END;
    END;
    EXIT WHEN busy IS NULL;
  END LOOP;

  -- A view other objects depend on (a dashboard's own view) is replaced in
  -- place, which keeps them working, when the new version's table starts
  -- with its columns (same names, order and types); otherwise the switch is
  -- refused, naming them, before anything has changed. So is every stable
  -- view such a view reads (an export's view reads the stable tables' views),
  -- since none of them can be dropped under it.
  FOR rel IN
    WITH RECURSIVE "reads" AS (
      SELECT DISTINCT dv.oid AS reader, d.refobjid AS read, dn.nspname = stable_schema AS inside
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class dv ON dv.oid = r.ev_class
      JOIN pg_namespace dn ON dn.oid = dv.relnamespace
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND dv.oid <> d.refobjid
    ), "stable_views" AS (
      SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = stable_schema AND c.relkind = 'v'
    ), "needed" AS (
      SELECT s.oid FROM stable_views s WHERE EXISTS (SELECT 1 FROM "reads" x WHERE x.read = s.oid AND NOT x.inside)
      UNION
      SELECT x.read FROM "needed" k JOIN "reads" x ON x.reader = k.oid JOIN stable_views s ON s.oid = x.read
    )
    SELECT s.oid, s.relname FROM stable_views s WHERE s.oid IN (SELECT oid FROM "needed") ORDER BY s.relname LOOP
    SELECT string_agg(DISTINCT format('%I.%I', dn.nspname, dv.relname), ', ') INTO dependents
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class dv ON dv.oid = r.ev_class
    JOIN pg_namespace dn ON dn.oid = dv.relnamespace
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = rel.oid AND dv.oid <> rel.oid;
    new_table := NULL;
    SELECT t.oid INTO new_table FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE tn.nspname = target AND t.relname = rel.relname AND t.relkind IN ('r', 'p', 'v');
    IF new_table IS NULL THEN
      RAISE EXCEPTION 'cannot switch "%" to "%": view %.% is used by %, and "%" has no table or view "%"; drop or change those views first',
        stable_schema, target, quote_ident(stable_schema), quote_ident(rel.relname), dependents, target, rel.relname USING ERRCODE = :dependentViews;
    END IF;
    SELECT string_agg(format('%I %s', o.attname, o.type) || coalesce(format(' becomes %I %s', n.attname, n.type), ' is gone'), ', ' ORDER BY o.i) INTO changed
    FROM (SELECT row_number() OVER (ORDER BY attnum) AS i, attname, format_type(atttypid, atttypmod) AS type
          FROM pg_attribute WHERE attrelid = rel.oid AND attnum > 0 AND NOT attisdropped) o
    LEFT JOIN (SELECT row_number() OVER (ORDER BY attnum) AS i, attname, format_type(atttypid, atttypmod) AS type
               FROM pg_attribute WHERE attrelid = new_table AND attnum > 0 AND NOT attisdropped) n ON n.i = o.i
    WHERE n.attname IS DISTINCT FROM o.attname OR n.type IS DISTINCT FROM o.type;
    IF changed IS NOT NULL THEN
      RAISE EXCEPTION 'cannot switch "%" to "%": view %.% is used by %, and its columns change (%); drop or change those views first',
        stable_schema, target, quote_ident(stable_schema), quote_ident(rel.relname), dependents, changed USING ERRCODE = :dependentViews;
    END IF;
    kept := array_append(kept, rel.relname::text);
  END LOOP;

  -- In one statement: the export's stable views read the tables' stable views.
  SELECT string_agg(format('%I.%I', stable_schema, c.relname), ', ' ORDER BY c.relname) INTO doomed
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = stable_schema AND c.relkind = 'v' AND NOT (c.relname::text = ANY (kept));
  IF doomed IS NOT NULL THEN
    EXECUTE 'DROP VIEW ' || doomed;
  END IF;

  -- A stable view for every table and every view of the target: the export's
  -- views follow each cutover and rollback, and those the target lacks (an
  -- older version, a view PostgreSQL refused) were dropped above, so no
  -- stable view ever reads another version than the active one.
  FOR rel IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = target AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname LOOP
    SELECT coalesce(string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum), '') INTO column_list
    FROM pg_attribute a WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format('CREATE OR REPLACE VIEW %I.%I AS SELECT %s FROM %I.%I', stable_schema, rel.relname, column_list, target, rel.relname);
  END LOOP;

  -- An export's view is untrusted SQL: its stable view runs with the
  -- reader's rights (security_invoker), over the stable views of the tables
  -- it reads, which the reader's grants on the stable schema cover. Its
  -- text is PostgreSQL's own rendering of the version's view, read with the
  -- version first on search_path and created with the stable schema first,
  -- so every relation it names is the stable view of the same name. Views
  -- come after the views they read.
  LOOP
    made := 0;
    FOR rel IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = target AND c.relkind = 'v' AND NOT (c.oid = ANY (views_done))
                 AND NOT EXISTS (
                   SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class dv ON dv.oid = d.refobjid
                   WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND r.ev_class = c.oid
                     AND dv.oid <> c.oid AND dv.relnamespace = n.oid AND dv.relkind = 'v' AND NOT (dv.oid = ANY (views_done)))
               ORDER BY c.relname LOOP
      SELECT coalesce(string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum), '') INTO column_list
      FROM pg_attribute a WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped;
      PERFORM set_config('search_path', format('%I, pg_catalog, pg_temp', target), true);
      definition := rtrim(pg_get_viewdef(rel.oid), '; ' || chr(10));
      PERFORM set_config('search_path', format('%I, pg_catalog, pg_temp', stable_schema), true);
      EXECUTE format('CREATE OR REPLACE VIEW %I.%I (%s) WITH (security_invoker = true) AS %s',
        stable_schema, rel.relname, column_list, definition);
      PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
      views_done := array_append(views_done, rel.oid);
      made := made + 1;
    END LOOP;
    EXIT WHEN made = 0;
  END LOOP;

  FOR rel IN SELECT g->>'grant' AS statement FROM jsonb_array_elements(saved_grants) g
             WHERE to_regclass(format('%I.%I', stable_schema, g->>'view')) IS NOT NULL LOOP
    EXECUTE rel.statement;
  END LOOP;

  old_active := stable_meta->>'active';
  -- Re-applying the active version refreshes its views and keeps the rollback target.
  new_previous := CASE WHEN old_active IS DISTINCT FROM target THEN old_active ELSE stable_meta->>'previous' END;
  stable_meta := jsonb_build_object('tool', :tool, 'formatVersion', :format::int, 'prefix', stable_schema,
    'active', target, 'previous', new_previous,
    'switchedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', stable_schema, stable_meta::text);
  RETURN old_active;
END
$switch_to$`;

/** CREATE OR REPLACE FUNCTION "<prefix>_control"."switch_to"(text) for the prefix. */
export function switchFunctionSql(prefix: string): string {
  const values: Record<string, string> = {
    control: quoteIdent(controlSchemaName(prefix)),
    stable: quoteLiteral(stableSchemaName(prefix)),
    lockKey: prefixLockKeySql("stable_schema"),
    pattern: quoteLiteral(versionNamePattern(prefix)),
    tool: quoteLiteral(TOOL_NAME),
    format: quoteLiteral(String(FORMAT_VERSION)),
    notAVersion: quoteLiteral(SWITCH_ERROR_CODES.notAVersion),
    notReady: quoteLiteral(SWITCH_ERROR_CODES.notReady),
    stableNotOurs: quoteLiteral(SWITCH_ERROR_CODES.stableNotOurs),
    dependentViews: quoteLiteral(SWITCH_ERROR_CODES.dependentViews),
    released: quoteLiteral(LOCK_RELEASED_CODE),
    lockRounds: String(VIEW_LOCK_ROUNDS),
  };
  const create = SWITCH_FUNCTION_TEMPLATE.replace(/:([a-zA-Z]+)\b/g, (placeholder, key: string) => values[key] ?? placeholder);
  return `${create};\nREVOKE ALL ON FUNCTION ${values.control}."switch_to"(text) FROM PUBLIC`;
}
