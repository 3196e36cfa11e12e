// Write paths for 1 GiB, measured for BENCHMARKS.md ("Loading and converting"):
//   cc -O2 -o /tmp/wpaths tools/bench_write_paths.c && /tmp/wpaths MODE IN OUT CHUNK
// MODE: array (copy each CHUNK into a fresh buffer, one write: what ptconvert did), map (write
// straight from the memory map in CHUNK pieces), pread (CHUNK buffer), cfr (copy_file_range).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void wall(int fd,const char*p,size_t n){while(n){ssize_t w=write(fd,p,n);if(w<=0){perror("write");exit(1);}p+=w;n-=w;}}
int main(int argc,char**argv){
  const char*mode=argv[1]; size_t chunk=atol(argv[4]);
  int in=open(argv[2],O_RDONLY); struct stat st; fstat(in,&st); size_t n=st.st_size;
  int out=open(argv[3],O_WRONLY|O_CREAT|O_TRUNC,0644);
  double t0=now();
  if(!strcmp(mode,"array")){ // copy tensors of `chunk` bytes into fresh arrays, one write each
    char*m=mmap(0,n,PROT_READ,MAP_PRIVATE,in,0);
    for(size_t o=0;o<n;o+=chunk){size_t k=n-o<chunk?n-o:chunk;char*b=malloc(k);memcpy(b,m+o,k);wall(out,b,k);free(b);madvise(m+o,k,MADV_DONTNEED);}
  } else if(!strcmp(mode,"map")){ // write straight from the map in `chunk` pieces
    char*m=mmap(0,n,PROT_READ,MAP_PRIVATE,in,0);
    for(size_t o=0;o<n;o+=chunk){size_t k=n-o<chunk?n-o:chunk;wall(out,m+o,k);}
    madvise(m,n,MADV_DONTNEED);
  } else if(!strcmp(mode,"pread")){
    char*b=malloc(chunk);
    for(size_t o=0;o<n;o+=chunk){size_t k=n-o<chunk?n-o:chunk;pread(in,b,k,o);wall(out,b,k);}
  } else if(!strcmp(mode,"cfr")){
    loff_t oi=0; size_t left=n; while(left){ssize_t c=copy_file_range(in,&oi,out,NULL,left<chunk?left:chunk,0); if(c<=0){perror("cfr");exit(1);} left-=c;}
  }
  close(out);
  printf("%s chunk=%zu: %.3f s\n",mode,chunk,now()-t0);
}
