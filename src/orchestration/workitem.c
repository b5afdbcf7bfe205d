/*-------------------------------------------------------------------------
 *
 * workitem.c
 *	  Reading duroxide WorkItem JSON.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "orchestration/workitem.h"

bool
wi_variant(JsonbContainer *item, const char *ctx, int index,
		   char **variant, JbObject *body)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	*variant = NULL;
	body->c = NULL;
	body->ctx = ctx;
	body->index = index;
	if (!JsonContainerIsObject(item) || JsonContainerSize(item) < 1)
		return false;

	it = JsonbIteratorInit(item);
	tok = JsonbIteratorNext(&it, &v, true);	/* WJB_BEGIN_OBJECT */
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok != WJB_KEY)
		return false;
	*variant = pnstrdup(v.val.string.val, v.val.string.len);
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok != WJB_VALUE || v.type != jbvBinary ||
		!JsonContainerIsObject(v.val.binary.data))
		return true;			/* a variant without fields */

	body->c = v.val.binary.data;
	body->ctx = psprintf("%s[%d].%s", ctx, index, *variant);
	body->index = -1;
	return true;
}

char *
wi_target_instance(const char *variant, const JbObject *body)
{
	static const char *const by_instance[] = {
		"StartOrchestration", "ContinueAsNew", "TimerFired", "ActivityCompleted",
		"ActivityFailed", "ExternalRaised", "CancelInstance", "QueueMessage", NULL
	};
	const char *key = NULL;
	char	   *target = NULL;
	int			i;

	if (variant == NULL || body == NULL || body->c == NULL)
		return NULL;
	for (i = 0; by_instance[i] != NULL; i++)
		if (strcmp(variant, by_instance[i]) == 0)
			key = "instance";
	if (strcmp(variant, "SubOrchCompleted") == 0 ||
		strcmp(variant, "SubOrchFailed") == 0)
		key = "parent_instance";
	if (key == NULL)
		return NULL;
	(void) jbr_text(body, key, true, &target);
	return target;
}
