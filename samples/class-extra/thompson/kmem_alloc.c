/* kmem_alloc.c -- Lab 5 part 4: one kmalloc per record */
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

static struct task_struct *runner;

static int runner_main(void *arg)
{
	unsigned int done = 0;
	u64 before, after;

	pr_info("lab5 kmem_alloc: objnum is %u\n", objnum);
	pr_info("lab5 kmem_alloc: a record takes %lu bytes\n", (unsigned long)sizeof(record_t));

	before = ktime_get_raw_ns();
	while (done < objnum) {
		record_t *r = kmalloc(sizeof(*r), GFP_KERNEL);

		if (r == NULL)
			break;
		kfree(r);
		done++;
	}
	after = ktime_get_raw_ns();

	if (done < objnum)
		pr_warn("lab5 kmem_alloc: kmalloc gave up after %u records\n", done);
	pr_info("lab5 kmem_alloc: %u records: %llu ns to get and give back\n", done, after - before);

	while (!kthread_should_stop())
		msleep_interruptible(50);
	return 0;
}

static int __init start(void)
{
	runner = kthread_create(runner_main, NULL, "lab5_kmem");
	if (IS_ERR(runner))
		return PTR_ERR(runner);
	kthread_bind(runner, 0);
	wake_up_process(runner);
	return 0;
}

static void __exit stop(void)
{
	kthread_stop(runner);
}

module_init(start);
module_exit(stop);
