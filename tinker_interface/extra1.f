c
c     taylorann drop-in for Tinker's extra1.f: energy, gradient dE/dx
c     (kcal/mol/Ang) and the virial of the neural-network potential;
c     Tinker zeroes vir before the energy terms, this term adds to it
c
      subroutine extra1
      use atoms
      use bound
      use boxes
      use deriv
      use energi
      use taylorann_tinker
      use virial
      implicit none
      integer i,j,status
      real*8 vnn(3,3)
      character(len=:), allocatable :: message
c
      ex = 0.0d0
      do i = 1, n
         dex(1,i) = 0.0d0
         dex(2,i) = 0.0d0
         dex(3,i) = 0.0d0
      end do
      if (.not. tann_host%active)  return
      call tann_host_evaluate (tann_host,x(1:n),y(1:n),z(1:n),
     &                         use_bounds,lvec,ex,status,message,
     &                         gradient=dex(:,1:n),virial=vnn)
      if (status .ne. TANN_OK)  call tannfatal ('EXTRA1',message)
      do i = 1, 3
         do j = 1, 3
            vir(j,i) = vir(j,i) + vnn(j,i)
         end do
      end do
      return
      end
