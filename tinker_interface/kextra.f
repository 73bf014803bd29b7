c
c     taylorann drop-in for Tinker's kextra.f (set-up of the extra term)
c
c     Reads the TAYLORANN-POTENTIAL / TAYLORANN-MODEL key-file records,
c     opens the neural-network potential and maps every atom to a
c     species by its atomic number (.prm "atom" line), falling back to
c     its atom name. Without any taylorann keyword nothing is set up and
c     the extra* hooks do nothing (Tinker's use_extra is on by default).
c     Any set-up error stops Tinker with the library's message.
c
      subroutine kextra
      use atomid
      use atoms
      use bound
      use boxes
      use inform
      use iounit
      use keys
      use potent
      use taylorann_tinker
      implicit none
      integer status,k
      character(len=240), allocatable :: records(:)
      character(len=:), allocatable :: message
c
      call tann_host_reset (tann_host)
      if (.not. use_extra)  return
      if (allocated(keyline)) then
         allocate (records(nkey))
         do k = 1, nkey
            records(k) = keyline(k)
         end do
      else
         allocate (records(0))
      end if
      call tann_configure (tann_host,records,atomic(1:n),name(1:n),
     &                     status,message)
      if (status .ne. TANN_OK)  call tannfatal ('KEXTRA',message)
      if (.not. tann_host%active)  return
      if (use_bounds .and. nonprism) then
         call tannfatal ('KEXTRA','truncated octahedron and rhombic'//
     &        ' dodecahedron boxes are not supported; give a-axis,'//
     &        ' b-axis, c-axis and the angles of a parallelepiped')
      end if
      if (.not. silent) then
         write (iout,10)  tann_host%model%nspecies,
     &                    tann_host%model%cutoff,n
   10    format (/,' taylorann neural-network potential:',i3,
     &              ' species, cut-off',f8.3,' Ang,',i8,' atoms')
      end if
      return
      end
c
c     stop Tinker with a taylorann message (shared by the extra* hooks)
c
      subroutine tannfatal (routine,message)
      use iounit
      implicit none
      character(len=*) routine
      character(len=*) message
c
      write (iout,10)  routine,message
   10 format (/,1x,a,'  --  taylorann:  ',a)
      call fatal
      end
