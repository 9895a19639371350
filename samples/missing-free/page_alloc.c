// Lab 5 - page_alloc module
// Creates a kernel thread on CPU 0 which allocates pages with alloc_pages()

#include <linux/module.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("student");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0);

struct lab_struct {
	unsigned int x[8];
};

static struct task_struct *alloc_task;

static int alloc_fn(void *data)
{
	unsigned long structs_per_page, pages_needed;
	int order;
	struct page *pg;
	u64 t1, t2;

	printk(KERN_INFO "Thread started, objnum: %u\n", objnum);
	printk(KERN_INFO "Struct size = %zu bytes\n", sizeof(struct lab_struct));

	structs_per_page = PAGE_SIZE / sizeof(struct lab_struct);
	pages_needed = (objnum + structs_per_page - 1) / structs_per_page;
	order = order_base_2(pages_needed);

	t1 = ktime_get_ns();
	pg = alloc_pages(GFP_KERNEL, order);
	t2 = ktime_get_ns();

	if (!pg)
		printk(KERN_ERR "alloc_pages failed\n");
	printk(KERN_INFO "Allocation of order %d took %llu ns\n", order, t2 - t1);

	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init page_mod_init(void)
{
	alloc_task = kthread_create(alloc_fn, NULL, "page_alloc");
	if (IS_ERR(alloc_task)) {
		printk(KERN_ERR "kthread_create failed\n");
		return PTR_ERR(alloc_task);
	}
	kthread_bind(alloc_task, 0);
	wake_up_process(alloc_task);
	return 0;
}

static void __exit page_mod_exit(void)
{
	kthread_stop(alloc_task);
	printk(KERN_INFO "page_alloc module removed\n");
}

module_init(page_mod_init);
module_exit(page_mod_exit);
