/* page_alloc.c -- Lab 5 part 1: one block of pages for all the records */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/timekeeping.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("K. Thompson");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0644);
MODULE_PARM_DESC(objnum, "how many records to make room for");

typedef struct record {
	unsigned int field[8];
} record_t;

static struct task_struct *runner;

/* 2^order pages must hold count records; order 0 is one page */
static unsigned int order_for(unsigned long count)
{
	unsigned long bytes = count * sizeof(record_t);
	unsigned long npages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned int order = 0;

	while ((1UL << order) < npages)
		order++;
	return order;
}

static int runner_main(void *arg)
{
	unsigned int order;
	struct page *block;
	u64 before, after;

	pr_info("lab5 page_alloc: objnum is %u\n", objnum);
	pr_info("lab5 page_alloc: a record takes %lu bytes\n", (unsigned long)sizeof(record_t));

	order = order_for(objnum);
	before = ktime_get_raw_ns();
	block = alloc_pages(GFP_KERNEL, order);
	if (block != NULL)
		__free_pages(block, order);
	after = ktime_get_raw_ns();

	if (block == NULL)
		pr_warn("lab5 page_alloc: no block of order %u\n", order);
	else
		pr_info("lab5 page_alloc: order %u block: %llu ns to get and give back\n", order, after - before);

	while (!kthread_should_stop())
		msleep_interruptible(50);
	return 0;
}

static int __init start(void)
{
	runner = kthread_create(runner_main, NULL, "lab5_pages");
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
