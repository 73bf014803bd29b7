! Test driver for the taylorann_tinker module: it sets the model up from key-file records
! and evaluates it the way Tinker's kextra/extra/extra1/extra3 hooks do, and prints what
! it finds in "name value..." lines that tests/test_tinker_interface.py checks against
! `python -m export predict` and against the C library's own messages.
!
! Usage: test_taylorann_tinker <command> <case file> [step]
!   configure  set-up only: status, message, species of every atom
!   evaluate   energy, gradient, virial, per-atom energies (module) + the raw C API call
!   fd         analytic vs finite-difference gradient and virial (strain derivative)
!   calls      error returns of direct C API / module calls on an open model
!
! Case file: "keys <m>" followed by m key-file records, "atoms <n>", "periodic T|F",
! then (if periodic) three lattice-vector rows, then n lines "atomic name x y z".
program test_taylorann_tinker
  use, intrinsic :: iso_c_binding
  use taylorann_tinker
  implicit none

  character(len=240), allocatable :: records(:)
  character(len=8), allocatable :: names(:)
  integer, allocatable :: atomic(:)
  real(c_double), allocatable :: x(:), y(:), z(:)
  real(c_double) :: lattice(3, 3), step
  logical :: periodic
  character(len=32) :: command
  character(len=1024) :: case_file, arg
  type(tann_host_state) :: host
  integer :: status
  character(len=:), allocatable :: message

  call get_command_argument(1, command)
  call get_command_argument(2, case_file)
  step = 1.0d-3
  if (command_argument_count() >= 3) then
     call get_command_argument(3, arg)
     read (arg, *) step
  end if
  call read_case(trim(case_file))

  print '(a,1x,i0)', 'api_version', taylorann_api_version()
  call tann_configure(host, records, atomic, names, status, message)
  print '(a,1x,i0)', 'status', status
  print '(a,1x,a)', 'message', message
  print '(a,1x,l1)', 'active', host%active
  if (status /= TANN_OK .or. .not. host%active) stop

  select case (trim(command))
  case ('configure')
     call report_configuration()
  case ('evaluate')
     call evaluate()
  case ('fd')
     call finite_differences()
  case ('calls')
     call error_calls()
  case default
     print '(a,1x,a)', 'unknown_command', trim(command)
     error stop 2
  end select
  call tann_host_reset(host)

contains

  subroutine read_case(path)
    character(len=*), intent(in) :: path
    integer :: u, m, n, i
    character(len=16) :: word
    open (newunit=u, file=path, status='old', action='read')
    read (u, *) word, m
    allocate (records(m))
    do i = 1, m
       read (u, '(a)') records(i)
    end do
    read (u, *) word, n
    read (u, *) word, periodic
    lattice = 0.0d0
    if (periodic) then
       do i = 1, 3
          read (u, *) lattice(i, :)
       end do
    end if
    allocate (atomic(n), names(n), x(n), y(n), z(n))
    do i = 1, n
       read (u, *) atomic(i), names(i), x(i), y(i), z(i)
    end do
    close (u)
  end subroutine read_case

  subroutine report_configuration()
    integer :: k, i
    real(c_double) :: eref
    print '(a,1x,i0)', 'nspecies', host%model%nspecies
    print '(a,1x,es25.17)', 'cutoff', host%model%cutoff
    do k = 1, host%model%nspecies
       status = taylorann_reference_energy(host%model%handle, int(k - 1, c_int), eref)
       print '(a,1x,i0,1x,a,1x,i0,1x,es25.17)', 'species', k - 1, trim(host%model%species(k)), &
            status, eref
    end do
    do i = 1, size(atomic)
       print '(a,1x,i0,1x,i0)', 'atom_species', i, host%species(i)
    end do
  end subroutine report_configuration

  subroutine evaluate()
    real(c_double) :: energy, vir(3, 3), e_only
    real(c_double), allocatable :: grad(:, :), eatom(:)
    integer :: i, a, b
    allocate (grad(3, size(x)), eatom(size(x)))
    ! extra1: energy + gradient + virial
    call tann_host_evaluate(host, x, y, z, periodic, lattice, energy, status, message, &
         gradient=grad, virial=vir)
    print '(a,1x,i0,1x,a)', 'evaluate_status', status, message
    print '(a,1x,i0)', 'outside', host%last_outside
    print '(a,1x,es25.17)', 'energy', energy
    do i = 1, size(x)
       print '(a,1x,i0,3(1x,es25.17))', 'gradient', i, grad(:, i)
    end do
    do a = 1, 3
       do b = 1, 3
          print '(a,2(1x,i0),1x,es25.17)', 'virial', a, b, vir(a, b)
       end do
    end do
    ! extra: energy only; extra3: energy + per-atom energies
    call tann_host_evaluate(host, x, y, z, periodic, lattice, e_only, status, message)
    print '(a,1x,es25.17)', 'energy_only', e_only
    call tann_host_evaluate(host, x, y, z, periodic, lattice, e_only, status, message, &
         atom_energy=eatom)
    print '(a,1x,es25.17)', 'energy_analysis', e_only
    do i = 1, size(x)
       print '(a,1x,i0,1x,es25.17)', 'atom_energy', i, eatom(i)
    end do
    call raw_call(energy, grad, vir)
  end subroutine evaluate

  ! The same evaluation straight through the C API (eV, forces, LAMMPS-sign virial,
  ! row-major cell) to pin the module's unit, sign and transpose conventions.
  subroutine raw_call(energy, grad, vir)
    real(c_double), intent(in) :: energy, grad(:, :), vir(3, 3)
    real(c_double), allocatable :: xyz(:, :), f(:, :)
    real(c_double), target :: cell_rowmajor(9), w(6)
    integer, parameter :: voigt(3, 3) = reshape([1, 4, 5, 4, 2, 6, 5, 6, 3], [3, 3])
    real(c_double) :: e_ev
    type(c_ptr) :: p_cell
    integer :: n, i, a, b
    real(c_double) :: dev_g, dev_v
    n = size(x)
    allocate (xyz(3, n), f(3, n))
    do i = 1, n
       xyz(:, i) = [x(i), y(i), z(i)]
    end do
    p_cell = c_null_ptr
    if (periodic) then
       cell_rowmajor = [lattice(1, :), lattice(2, :), lattice(3, :)]
       p_cell = c_loc(cell_rowmajor)
    end if
    status = raw_compute(xyz, p_cell, e_ev, f, w)
    print '(a,1x,i0)', 'raw_status', status
    dev_g = maxval(abs(grad(:, 1:n) + tann_ev_to_kcal * f))
    dev_v = 0.0d0
    do a = 1, 3
       do b = 1, 3
          dev_v = max(dev_v, abs(vir(a, b) + tann_ev_to_kcal * w(voigt(a, b))))
       end do
    end do
    print '(a,1x,es25.17)', 'raw_energy_dev', abs(energy - tann_ev_to_kcal * e_ev)
    print '(a,1x,es25.17)', 'raw_gradient_dev', dev_g
    print '(a,1x,es25.17)', 'raw_virial_dev', dev_v
  end subroutine raw_call

  integer function raw_compute(xyz, p_cell, e_ev, f, w) result(st)
    real(c_double), intent(in) :: xyz(:, :)
    type(c_ptr), intent(in) :: p_cell
    real(c_double), intent(out) :: e_ev
    real(c_double), intent(out), target :: f(:, :), w(6)
    f = 0.0d0  ! the C API accumulates
    w = 0.0d0
    st = taylorann_compute_periodic(host%model%handle, int(size(xyz, 2), c_int), xyz, &
         host%species, p_cell, c_null_ptr, e_ev, c_null_ptr, c_loc(f), c_loc(w))
  end function raw_compute

  real(c_double) function energy_at(xs, ys, zs, lat) result(e)
    real(c_double), intent(in) :: xs(:), ys(:), zs(:), lat(3, 3)
    call tann_host_evaluate(host, xs, ys, zs, periodic, lat, e, status, message)
    if (status /= TANN_OK) then
       print '(a,1x,a)', 'fd_failure', message
       error stop 1
    end if
  end function energy_at

  ! Fourth-order central difference of E along a direction set up by displace().
  real(c_double) function derivative(kind, i, j) result(d)
    integer, intent(in) :: kind, i, j
    real(c_double), parameter :: c(4) = [1.0d0, -8.0d0, 8.0d0, -1.0d0]
    real(c_double), parameter :: t(4) = [-2.0d0, -1.0d0, 1.0d0, 2.0d0]
    real(c_double) :: xs(size(x)), ys(size(x)), zs(size(x)), lat(3, 3)
    integer :: k
    d = 0.0d0
    do k = 1, 4
       call displace(kind, i, j, t(k) * step, xs, ys, zs, lat)
       d = d + c(k) * energy_at(xs, ys, zs, lat)
    end do
    d = d / (12.0d0 * step)
  end function derivative

  ! kind 1: move coordinate j of atom i by h. kind 2: homogeneous strain
  ! r_a -> r_a + h * delta_(a,i) * r_j on atoms and lattice vectors, so that
  ! dE/dh = sum_k r_k,j dE/dr_k,i = vir(j,i) in Tinker's convention.
  subroutine displace(kind, i, j, h, xs, ys, zs, lat)
    integer, intent(in) :: kind, i, j
    real(c_double), intent(in) :: h
    real(c_double), intent(out) :: xs(:), ys(:), zs(:), lat(3, 3)
    real(c_double) :: strain(3, 3), r(3)
    integer :: k
    xs = x
    ys = y
    zs = z
    lat = lattice
    if (kind == 1) then
       select case (j)
       case (1)
          xs(i) = xs(i) + h
       case (2)
          ys(i) = ys(i) + h
       case (3)
          zs(i) = zs(i) + h
       end select
       return
    end if
    strain = 0.0d0
    strain(1, 1) = 1.0d0
    strain(2, 2) = 1.0d0
    strain(3, 3) = 1.0d0
    strain(i, j) = strain(i, j) + h
    do k = 1, size(x)
       r = matmul(strain, [x(k), y(k), z(k)])
       xs(k) = r(1)
       ys(k) = r(2)
       zs(k) = r(3)
    end do
    do k = 1, 3
       lat(k, :) = matmul(strain, lattice(k, :))
    end do
  end subroutine displace

  subroutine finite_differences()
    real(c_double) :: energy, vir(3, 3), dev, scale
    real(c_double), allocatable :: grad(:, :)
    integer :: i, j
    allocate (grad(3, size(x)))
    call tann_host_evaluate(host, x, y, z, periodic, lattice, energy, status, message, &
         gradient=grad, virial=vir)
    dev = 0.0d0
    scale = 0.0d0
    do i = 1, size(x)
       do j = 1, 3
          dev = max(dev, abs(grad(j, i) - derivative(1, i, j)))
          scale = max(scale, abs(grad(j, i)))
       end do
    end do
    print '(a,1x,es25.17)', 'fd_step', step
    print '(a,1x,es25.17)', 'fd_gradient_maxdev', dev
    print '(a,1x,es25.17)', 'fd_gradient_maxabs', scale
    dev = 0.0d0
    scale = 0.0d0
    do i = 1, 3
       do j = 1, 3
          dev = max(dev, abs(vir(j, i) - derivative(2, i, j)))
          scale = max(scale, abs(vir(j, i)))
       end do
    end do
    print '(a,1x,es25.17)', 'fd_virial_maxdev', dev
    print '(a,1x,es25.17)', 'fd_virial_maxabs', scale
    print '(a,1x,es25.17)', 'virial_asymmetry', maxval(abs(vir - transpose(vir)))
  end subroutine finite_differences

  ! Error returns on an open model: each prints "<case> <status> <message>".
  subroutine error_calls()
    integer(c_int) :: idx, bad(size(x))
    real(c_double) :: e, xyz(3, size(x))
    character(kind=c_char) :: buf(2)
    type(tann_model) :: closed
    integer :: st

    st = taylorann_species_index(host%model%handle, 'Xx' // c_null_char, idx)
    print '(a,1x,i0,1x,i0)', 'unknown_species_index', st, idx
    st = taylorann_reference_energy(host%model%handle, 99_c_int, e)
    print '(a,1x,i0,1x,a)', 'reference_energy_bad_index', st, tann_last_error_message()
    st = taylorann_species_name(host%model%handle, 0_c_int, buf, 1_c_size_t)
    print '(a,1x,i0,1x,a)', 'species_name_small_buffer', st, tann_last_error_message()
    bad = host%species
    bad(1) = int(host%model%nspecies, c_int)
    xyz(1, :) = x
    xyz(2, :) = y
    xyz(3, :) = z
    st = taylorann_compute_periodic(host%model%handle, int(size(x), c_int), xyz, bad, &
         c_null_ptr, c_null_ptr, e, c_null_ptr, c_null_ptr, c_null_ptr)
    print '(a,1x,i0,1x,a)', 'compute_bad_species_raw', st, tann_last_error_message()
    call tann_compute(host%model, bad, x, y, z, e, status, message)
    print '(a,1x,i0,1x,a)', 'compute_bad_species_module', status, message
    call tann_compute(closed, host%species, x, y, z, e, status, message)
    print '(a,1x,i0,1x,a)', 'compute_closed_model', status, message
    call tann_compute(host%model, host%species, x(1:1), y, z, e, status, message)
    print '(a,1x,i0,1x,a)', 'compute_short_coordinates', status, message
  end subroutine error_calls

end program test_taylorann_tinker
