/*
 * Lab 5 - Exercise 1-3: page_alloc
 * Allocates enough pages for objnum structs with alloc_pages and frees
 * them again, and measures how long that takes.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Team 7");
MODULE_DESCRIPTION("page level allocation");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of objects to allocate (default 2000)");

struct my_struct {
	unsigned int arr[8];
};

static struct task_struct *worker;
static DECLARE_COMPLETION(worker_done);

static int worker_fn(void *unused)
{
	unsigned long objs_per_page, num_pages;
	unsigned int order;
	struct page *pg;
	ktime_t t0, t1;

	printk(KERN_INFO "page_alloc: struct size: %zu bytes\n",
	       sizeof(struct my_struct));

	objs_per_page = PAGE_SIZE / sizeof(struct my_struct);
	num_pages = DIV_ROUND_UP(objnum, objs_per_page);
	order = order_base_2(num_pages);

	t0 = ktime_get();
	pg = alloc_pages(GFP_KERNEL, order);
	if (pg)
		__free_pages(pg, order);
	t1 = ktime_get();

	if (!pg)
		printk(KERN_ERR "page_alloc: alloc_pages(order %u) failed\n", order);
	else
		printk(KERN_INFO "page_alloc: order %u, elapsed: %lld ns\n",
		       order, ktime_to_ns(ktime_sub(t1, t0)));

	/* signal the exit function and end the thread in one step */
	kthread_complete_and_exit(&worker_done, 0);
}

static int __init pa_init(void)
{
	printk(KERN_INFO "page_alloc: loading, number of objects: %u\n", objnum);
	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "page_alloc/%u");
	if (IS_ERR(worker)) {
		printk(KERN_ERR "page_alloc: could not create thread\n");
		return PTR_ERR(worker);
	}
	wake_up_process(worker);
	return 0;
}

static void __exit pa_exit(void)
{
	/* make sure the thread is finished before the module goes away */
	wait_for_completion(&worker_done);
	printk(KERN_INFO "page_alloc: unloaded\n");
}

module_init(pa_init);
module_exit(pa_exit);
