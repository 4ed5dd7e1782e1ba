#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static double now(){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){ double t0=now(); long sum=0; size_t tot=0;
 for(int i=1;i<argc;i++){ int fd=open(argv[i],O_RDONLY); struct stat st; fstat(fd,&st);
  unsigned char*p=mmap(0,st.st_size,PROT_READ,MAP_PRIVATE|MAP_POPULATE,fd,0);
  for(size_t k=0;k<st.st_size;k+=4096) sum+=p[k]; tot+=st.st_size; close(fd);}
 double t1=now(); printf("mmap+populate %zu MB: %.3f s (%ld)\n",tot>>20,t1-t0,sum%7); return 0;}
