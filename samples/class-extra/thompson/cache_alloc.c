/* cache_alloc.c -- Lab 5 part 5: records from a cache of their own */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("K. Thompson");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0644);
MODULE_PARM_DESC(objnum, "how many records to allocate");

typedef struct record {
	unsigned int field[8];
} record_t;

static struct kmem_cache *records;
static struct task_struct *runner;

static int runner_main(void *arg)
{
	unsigned int done = 0;
	u64 before, after;

	pr_info("lab5 cache_alloc: objnum is %u\n", objnum);
	pr_info("lab5 cache_alloc: a record takes %lu bytes\n", (unsigned long)sizeof(record_t));

	before = ktime_get_raw_ns();
	while (done < objnum) {
		record_t *r = kmem_cache_alloc(records, GFP_KERNEL);

		if (r == NULL)
			break;
		kmem_cache_free(records, r);
		done++;
	}
	after = ktime_get_raw_ns();

	if (done < objnum)
		pr_warn("lab5 cache_alloc: the cache gave up after %u records\n", done);
	pr_info("lab5 cache_alloc: %u records: %llu ns to get and give back\n", done, after - before);

	while (!kthread_should_stop())
		msleep_interruptible(50);
	return 0;
}

static int __init start(void)
{
	records = kmem_cache_create("thompson_records", sizeof(record_t), 0, 0, NULL);
	if (records == NULL)
		return -ENOMEM;
	runner = kthread_create(runner_main, NULL, "lab5_cache");
	if (IS_ERR(runner)) {
		kmem_cache_destroy(records);
		return PTR_ERR(runner);
	}
	kthread_bind(runner, 0);
	wake_up_process(runner);
	return 0;
}

static void __exit stop(void)
{
	kthread_stop(runner);
	kmem_cache_destroy(records);
}

module_init(start);
module_exit(stop);
