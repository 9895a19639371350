// page_alloc.c  -- lab 5
// kernel thread pinned to cpu 0 that allocates pages for objnum structs

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/timekeeping.h>

MODULE_LICENSE("GPL");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct data_t {
	unsigned int values[8];
};

static struct task_struct *thread;

static int thread_func(void *arg)
{
	struct page *p;
	unsigned int order;
	u64 before, after;

	pr_info("objnum is %u\n", objnum);
	pr_info("size of struct: %zu\n", sizeof(struct data_t));

	// 128 structs per page (4096 / 32)
	// 1000 objs -> 8 pages = order 3, 2000 -> 16 = order 4, 4000 -> 32 = order 5
	if (objnum <= 1000)
		order = 3;
	else if (objnum <= 2000)
		order = 4;
	else
		order = 5;

	before = ktime_get_ns();
	p = alloc_pages(GFP_KERNEL, order);
	if (p != NULL)
		__free_pages(p, order);
	after = ktime_get_ns();

	if (p == NULL)
		pr_err("alloc_pages failed\n");
	pr_info("Time taken: %llu ns\n", after - before);

	while (!kthread_should_stop())
		msleep(100);
	return 0;
}

static int __init mod_init(void)
{
	thread = kthread_create(thread_func, NULL, "page_alloc_thread");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	kthread_bind(thread, 0);
	wake_up_process(thread);
	return 0;
}

static void __exit mod_exit(void)
{
	kthread_stop(thread);
	pr_info("page_alloc unloaded\n");
}

module_init(mod_init);
module_exit(mod_exit);
