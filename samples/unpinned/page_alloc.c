#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/ktime.h>

/* Lab 5 part 1-3: page allocator timing */

static unsigned int objnum = 2000;
module_param(objnum, uint, S_IRUGO);

struct obj {
	unsigned int a[8];
};

static struct task_struct *kt;

static int run(void *arg)
{
	unsigned int per_page = PAGE_SIZE / sizeof(struct obj);
	unsigned int npages = (objnum + per_page - 1) / per_page;
	unsigned int order = 0;
	struct page *pages;
	u64 t_start, t_end;

	printk(KERN_INFO "[page_alloc] objnum=%u\n", objnum);
	printk(KERN_INFO "[page_alloc] sizeof(struct obj)=%zu\n", sizeof(struct obj));

	if (npages > 1)
		order = ilog2(roundup_pow_of_two(npages));

	t_start = ktime_get_ns();
	pages = alloc_pages(GFP_KERNEL, order);
	if (pages)
		__free_pages(pages, order);
	t_end = ktime_get_ns();

	if (!pages)
		printk(KERN_ERR "[page_alloc] alloc_pages failed\n");
	printk(KERN_INFO "[page_alloc] %u pages, order %u: %llu ns\n",
	       npages, order, t_end - t_start);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule();
	}
	return 0;
}

static int __init start(void)
{
	kt = kthread_run(run, NULL, "page_alloc");
	if (IS_ERR(kt))
		return PTR_ERR(kt);
	return 0;
}

static void __exit stop(void)
{
	kthread_stop(kt);
}

module_init(start);
module_exit(stop);
MODULE_LICENSE("GPL");
