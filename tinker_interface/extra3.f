c
c     taylorann drop-in for Tinker's extra3.f: energy and its partition
c     over atoms (aex, kcal/mol) for analyze; one term per atom (nex)
c
      subroutine extra3
      use action
      use analyz
      use atoms
      use bound
      use boxes
      use energi
      use taylorann_tinker
      implicit none
      integer i,status
      character(len=:), allocatable :: message
c
      nex = 0
      ex = 0.0d0
      do i = 1, n
         aex(i) = 0.0d0
      end do
      if (.not. tann_host%active)  return
      call tann_host_evaluate (tann_host,x(1:n),y(1:n),z(1:n),
     &                         use_bounds,lvec,ex,status,message,
     &                         atom_energy=aex(1:n))
      if (status .ne. TANN_OK)  call tannfatal ('EXTRA3',message)
      nex = n
      return
      end
