c
c     taylorann drop-in for Tinker's extra.f: energy of the
c     neural-network potential (kcal/mol) when kextra configured one
c
      subroutine extra
      use atoms
      use bound
      use boxes
      use energi
      use taylorann_tinker
      implicit none
      integer status
      character(len=:), allocatable :: message
c
      ex = 0.0d0
      if (.not. tann_host%active)  return
      call tann_host_evaluate (tann_host,x(1:n),y(1:n),z(1:n),
     &                         use_bounds,lvec,ex,status,message)
      if (status .ne. TANN_OK)  call tannfatal ('EXTRA',message)
      return
      end
