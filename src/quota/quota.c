/*-------------------------------------------------------------------------
 *
 * quota.c
 *	  Argument checks and lookups shared by the quota entry points.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "quota/quota.h"

static const StmtDef user_exists = {
	"quota.user_exists",
	"SELECT 1 FROM experiments.users WHERE id = $1",
	1, {UUIDOID}
};


void
quota_require_user(Datum user_id)
{
	Datum		args[1];

	args[0] = user_id;
	if (stmt_run(&user_exists, NULL, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user %s not found", uuid_cstring(user_id))));
}
