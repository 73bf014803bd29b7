! taylorann_tinker: Fortran 2008 binding of the taylorann C API (c_api.h, API version 1)
! and the host-free procedures behind Tinker's extra-term hooks.
!
! Nothing here uses a Tinker module: the hooks (extra.f, extra1.f, extra3.f, kextra.f)
! translate Tinker's state into the plain arrays these procedures take, so the whole
! logic compiles and is tested without Tinker.
!
! Conventions on the Tinker side of this module
!   energies  kcal/mol            (C API: eV; factor tann_ev_to_kcal)
!   gradient  dE/dx, kcal/mol/A   (= minus the force)
!   virial    vir(a,b) = sum_k r_k,a dE/dr_k,b  (Tinker's sign; C API W = -vir^T)
!   lattice   lattice(i,:) = lattice vector i (rows, as Tinker's lvec)
!   species   0-based index into the model's species (C convention), per atom
module taylorann_tinker
  use, intrinsic :: iso_c_binding
  implicit none
  private

  ! ---------------------------------------------------------------- constants
  integer, parameter, public :: tann_expected_api_version = 4
  integer, parameter, public :: TANN_OK = 0
  integer, parameter, public :: TANN_ERR_IO = 1
  integer, parameter, public :: TANN_ERR_FORMAT = 2
  integer, parameter, public :: TANN_ERR_ARGUMENT = 3
  integer, parameter, public :: TANN_ERR_UNSUPPORTED = 4
  integer, parameter, public :: TANN_ERR_RUNTIME = 5
  !> A configuration error found by this module (key-file syntax, species mapping).
  integer, parameter, public :: TANN_ERR_CONFIG = 6
  integer, parameter, public :: TANN_ERR_EXTRAPOLATION = 7   ! TAYLORANN-EXTRAPOLATION ERROR tripped
  integer, parameter, public :: TANN_EXTRAPOLATION_IGNORE = 0, TANN_EXTRAPOLATION_WARN = 1, &
       TANN_EXTRAPOLATION_ERROR = 2

  !> eV -> kcal/mol, the project's fixed factor (Tinker's hartree/evolt agrees to 1.3e-9).
  real(c_double), parameter, public :: tann_ev_to_kcal = 23.0605478d0

  integer, parameter :: max_element = 118
  character(len=2), parameter :: element_symbols(max_element) = [character(len=2) :: &
       'H ', 'He', 'Li', 'Be', 'B ', 'C ', 'N ', 'O ', 'F ', 'Ne', 'Na', 'Mg', 'Al', 'Si', &
       'P ', 'S ', 'Cl', 'Ar', 'K ', 'Ca', 'Sc', 'Ti', 'V ', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', &
       'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y ', 'Zr', 'Nb', 'Mo', &
       'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I ', 'Xe', 'Cs', 'Ba', &
       'La', 'Ce', 'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', &
       'Lu', 'Hf', 'Ta', 'W ', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg', 'Tl', 'Pb', 'Bi', 'Po', &
       'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U ', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', &
       'Es', 'Fm', 'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', &
       'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og']

  ! ------------------------------------------------------------------- types
  !> An open model: the C handle plus what the hooks need to know about it.
  type, public :: tann_model
     type(c_ptr) :: handle = c_null_ptr
     integer :: nspecies = 0
     character(len=8), allocatable :: species(:)    ! element symbols, C species order
     real(c_double) :: cutoff = 0.0d0                ! Angstrom
  end type tann_model

  !> State shared by Tinker's hooks: set by kextra (tann_configure), used by extra*.
  type, public :: tann_host_state
     logical :: active = .false.
     type(tann_model) :: model
     integer(c_int), allocatable :: species(:)        ! per Tinker atom
     ! extrapolation (TAYLORANN-EXTRAPOLATION WARN | ERROR | IGNORE; default WARN): atoms
     ! whose descriptor left the training range of the potential files
     integer :: extrapolation = TANN_EXTRAPOLATION_WARN
     logical :: ranges_known = .true.                 ! false for TorchScript models
     integer(c_int64_t) :: last_outside = 0           ! atoms outside in the last evaluation
     integer(c_int64_t) :: outside_total = 0          ! summed over evaluations
     integer(c_int64_t) :: outside_evaluations = 0    ! evaluations with atoms outside
  end type tann_host_state

  type(tann_host_state), public, save :: tann_host

  ! ---------------------------------------------------------- the C interface
  public :: taylorann_api_version, taylorann_last_error, taylorann_has_torch
  public :: taylorann_create, taylorann_destroy, taylorann_num_species
  public :: taylorann_species_name, taylorann_species_index
  public :: taylorann_reference_energy, taylorann_cutoff, taylorann_compute_periodic

  interface
     function taylorann_api_version() result(v) bind(C, name='taylorann_api_version')
       import :: c_int
       integer(c_int) :: v
     end function taylorann_api_version

     function taylorann_last_error() result(p) bind(C, name='taylorann_last_error')
       import :: c_ptr
       type(c_ptr) :: p
     end function taylorann_last_error

     function taylorann_has_torch() result(v) bind(C, name='taylorann_has_torch')
       import :: c_int
       integer(c_int) :: v
     end function taylorann_has_torch

     function taylorann_create(paths, n_paths, legacy_angular, model) result(status) &
          bind(C, name='taylorann_create')
       import :: c_int, c_ptr
       type(c_ptr), intent(in) :: paths(*)
       integer(c_int), value :: n_paths, legacy_angular
       type(c_ptr), intent(out) :: model
       integer(c_int) :: status
     end function taylorann_create

     subroutine taylorann_destroy(model) bind(C, name='taylorann_destroy')
       import :: c_ptr
       type(c_ptr), value :: model
     end subroutine taylorann_destroy

     function taylorann_num_species(model, n) result(status) bind(C, name='taylorann_num_species')
       import :: c_int, c_ptr
       type(c_ptr), value :: model
       integer(c_int), intent(out) :: n
       integer(c_int) :: status
     end function taylorann_num_species

     function taylorann_species_name(model, idx, buf, buflen) result(status) &
          bind(C, name='taylorann_species_name')
       import :: c_int, c_ptr, c_char, c_size_t
       type(c_ptr), value :: model
       integer(c_int), value :: idx
       character(kind=c_char), intent(out) :: buf(*)
       integer(c_size_t), value :: buflen
       integer(c_int) :: status
     end function taylorann_species_name

     function taylorann_species_index(model, name, idx) result(status) &
          bind(C, name='taylorann_species_index')
       import :: c_int, c_ptr, c_char
       type(c_ptr), value :: model
       character(kind=c_char), intent(in) :: name(*)
       integer(c_int), intent(out) :: idx
       integer(c_int) :: status
     end function taylorann_species_index

     function taylorann_reference_energy(model, idx, energy) result(status) &
          bind(C, name='taylorann_reference_energy')
       import :: c_int, c_ptr, c_double
       type(c_ptr), value :: model
       integer(c_int), value :: idx
       real(c_double), intent(out) :: energy
       integer(c_int) :: status
     end function taylorann_reference_energy

     function taylorann_cutoff(model, cutoff) result(status) bind(C, name='taylorann_cutoff')
       import :: c_int, c_ptr, c_double
       type(c_ptr), value :: model
       real(c_double), intent(out) :: cutoff
       integer(c_int) :: status
     end function taylorann_cutoff

     ! cell, pbc, eatom, f, virial are nullable pointers (c_null_ptr = not wanted).
     function taylorann_compute_periodic(model, n, x, species, cell, pbc, energy, eatom, f, &
          virial) result(status) bind(C, name='taylorann_compute_periodic')
       import :: c_int, c_ptr, c_double
       type(c_ptr), value :: model
       integer(c_int), value :: n
       real(c_double), intent(in) :: x(*)
       integer(c_int), intent(in) :: species(*)
       type(c_ptr), value :: cell, pbc
       real(c_double), intent(out) :: energy
       type(c_ptr), value :: eatom, f, virial
       integer(c_int) :: status
     end function taylorann_compute_periodic

     function taylorann_extrapolation(model, count, atoms, capacity) result(status) &
          bind(C, name='taylorann_extrapolation')
       import :: c_ptr, c_int, c_int64_t
       type(c_ptr), value :: model
       integer(c_int64_t), intent(out) :: count
       type(c_ptr), value :: atoms
       integer(c_int64_t), value :: capacity
       integer(c_int) :: status
     end function taylorann_extrapolation

     function c_strlen(s) result(n) bind(C, name='strlen')
       import :: c_ptr, c_size_t
       type(c_ptr), value :: s
       integer(c_size_t) :: n
     end function c_strlen
  end interface

  ! ------------------------------------------------------- high-level procedures
  public :: tann_last_error_message
  public :: tann_open, tann_open_pairs, tann_close
  public :: tann_species_indices, tann_compute
  public :: tann_element_symbol, tann_atomic_number, tann_default_element
  public :: tann_parse_keyword, tann_configure, tann_host_evaluate, tann_host_reset

  !> Kinds of key-file records recognised by tann_parse_keyword.
  integer, parameter, public :: TANN_KEY_OTHER = 0, TANN_KEY_POTENTIAL = 1, TANN_KEY_MODEL = 2, &
       TANN_KEY_EXTRATERM = 3, TANN_KEY_EXTRAPOLATION = 4

contains

  ! =================================================================== errors

  !> The C library's message for the last failed call on this thread.
  function tann_last_error_message() result(message)
    character(len=:), allocatable :: message
    type(c_ptr) :: p
    character(kind=c_char), pointer :: chars(:)
    integer :: n, i
    p = taylorann_last_error()
    if (.not. c_associated(p)) then
       message = ''
       return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: message)
    do i = 1, n
       message(i:i) = chars(i)
    end do
  end function tann_last_error_message

  ! ========================================================= opening a model

  !> Opens one .pt model or one .nn.ascii file per species (species order = file order).
  subroutine tann_open(model, paths, status, message, legacy_angular)
    type(tann_model), intent(inout) :: model
    character(len=*), intent(in) :: paths(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    logical, intent(in), optional :: legacy_angular
    character(kind=c_char), allocatable, target :: buffer(:, :)
    type(c_ptr), allocatable :: pointers(:)
    integer :: k, i, length, legacy
    type(c_ptr) :: handle

    call tann_close(model)
    message = ''
    if (taylorann_api_version() < tann_expected_api_version) then
       status = TANN_ERR_CONFIG
       message = 'libtaylorann has C API version ' // itoa(int(taylorann_api_version())) // &
            ', this interface needs ' // itoa(tann_expected_api_version) // '; reinstall with pip install .'
       return
    end if
    if (size(paths) == 0) then
       status = TANN_ERR_CONFIG
       message = 'no potential file given'
       return
    end if
    length = maxval(len_trim(paths)) + 1
    allocate (buffer(length, size(paths)), pointers(size(paths)))
    do k = 1, size(paths)
       buffer(:, k) = c_null_char
       do i = 1, len_trim(paths(k))
          buffer(i, k) = paths(k)(i:i)
       end do
       pointers(k) = c_loc(buffer(1, k))
    end do
    legacy = 0
    if (present(legacy_angular)) then
       if (legacy_angular) legacy = 1
    end if
    status = taylorann_create(pointers, int(size(paths), c_int), int(legacy, c_int), handle)
    if (status /= TANN_OK) then
       message = tann_last_error_message()
       return
    end if
    model%handle = handle
    call describe(model, status, message)
    if (status /= TANN_OK) call tann_close(model)
  end subroutine tann_open

  !> Opens .nn.ascii files given as (element, file) pairs and checks that each file
  !> holds the element it is given for (the files describe themselves).
  subroutine tann_open_pairs(model, elements, paths, status, message)
    type(tann_model), intent(inout) :: model
    character(len=*), intent(in) :: elements(:), paths(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    integer :: k, j

    message = ''
    if (size(elements) /= size(paths)) then
       status = TANN_ERR_ARGUMENT
       message = 'tann_open_pairs: as many elements as files are needed'
       return
    end if
    do k = 1, size(elements)
       do j = 1, k - 1
          if (same_symbol(elements(j), elements(k))) then
             status = TANN_ERR_CONFIG
             message = 'element ' // trim(elements(k)) // ' has two potentials: ' // &
                  trim(paths(j)) // ' and ' // trim(paths(k))
             return
          end if
       end do
    end do
    call tann_open(model, paths, status, message)
    if (status /= TANN_OK) return
    do k = 1, size(elements)
       if (.not. same_symbol(elements(k), model%species(k))) then
          status = TANN_ERR_CONFIG
          message = 'file ' // trim(paths(k)) // ' is a potential for species ' // &
               trim(model%species(k)) // ', but it is given for element ' // trim(elements(k))
          call tann_close(model)
          return
       end if
    end do
  end subroutine tann_open_pairs

  subroutine describe(model, status, message)
    type(tann_model), intent(inout) :: model
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    integer(c_int) :: n
    integer :: k, i
    character(kind=c_char) :: buf(64)

    message = ''
    status = taylorann_num_species(model%handle, n)
    if (status == TANN_OK) status = taylorann_cutoff(model%handle, model%cutoff)
    if (status /= TANN_OK) then
       message = tann_last_error_message()
       return
    end if
    model%nspecies = n
    allocate (model%species(n))
    do k = 1, n
       status = taylorann_species_name(model%handle, int(k - 1, c_int), buf, &
            int(size(buf), c_size_t))
       if (status /= TANN_OK) then
          message = tann_last_error_message()
          return
       end if
       model%species(k) = ''
       do i = 1, min(size(buf), len(model%species(k)))
          if (buf(i) == c_null_char) exit
          model%species(k)(i:i) = buf(i)
       end do
    end do
  end subroutine describe

  !> Frees the C handle (safe on a closed model).
  subroutine tann_close(model)
    type(tann_model), intent(inout) :: model
    if (c_associated(model%handle)) call taylorann_destroy(model%handle)
    model%handle = c_null_ptr
    model%nspecies = 0
    model%cutoff = 0.0d0
    if (allocated(model%species)) deallocate (model%species)
  end subroutine tann_close

  ! ======================================================== species mapping

  !> Element symbol of an atomic number ('' outside 1..118).
  pure function tann_element_symbol(atomic) result(symbol)
    integer, intent(in) :: atomic
    character(len=2) :: symbol
    symbol = ''
    if (atomic >= 1 .and. atomic <= max_element) symbol = element_symbols(atomic)
  end function tann_element_symbol

  !> Atomic number of an element symbol, any case (0 if not an element).
  pure function tann_atomic_number(symbol) result(atomic)
    character(len=*), intent(in) :: symbol
    integer :: atomic, z
    atomic = 0
    do z = 1, max_element
       if (same_symbol(symbol, element_symbols(z))) then
          atomic = z
          return
       end if
    end do
  end function tann_atomic_number

  !> The element a file name implies: its base name up to the first dot.
  pure function tann_default_element(path) result(element)
    character(len=*), intent(in) :: path
    character(len=:), allocatable :: element
    integer :: slash, dot
    slash = index(path, '/', back=.true.)
    element = trim(path(slash + 1:))
    dot = index(element, '.')
    if (dot > 0) element = element(1:dot - 1)
  end function tann_default_element

  !> Species index (0-based) of every atom: from its atomic number when that is an
  !> element (1..118), otherwise from its atom name (e.g. 'Ti', 'O1', 'OW').
  subroutine tann_species_indices(model, atomic, names, species, status, message)
    type(tann_model), intent(in) :: model
    integer, intent(in) :: atomic(:)
    character(len=*), intent(in) :: names(:)
    integer(c_int), intent(out) :: species(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    integer :: i
    character(len=:), allocatable :: what

    status = TANN_OK
    message = ''
    do i = 1, size(atomic)
       if (atomic(i) >= 1 .and. atomic(i) <= max_element) then
          species(i) = model_index(model, element_symbols(atomic(i)))
          what = 'element ' // trim(element_symbols(atomic(i))) // ' (atomic number ' // &
               itoa(atomic(i)) // ')'
       else
          species(i) = index_from_name(model, names(i))
          what = 'atom name "' // trim(names(i)) // '" (no atomic number)'
       end if
       if (species(i) < 0) then
          status = TANN_ERR_CONFIG
          message = 'atom ' // itoa(i) // ', ' // what // ', has no taylorann potential; ' // &
               'the potential covers: ' // species_list(model)
          return
       end if
    end do
  end subroutine tann_species_indices

  integer function model_index(model, symbol) result(idx)
    type(tann_model), intent(in) :: model
    character(len=*), intent(in) :: symbol
    integer :: k
    idx = -1
    do k = 1, model%nspecies
       if (same_symbol(symbol, model%species(k))) then
          idx = k - 1
          return
       end if
    end do
  end function model_index

  ! An atom name: the whole name, else its first two letters, else its first letter.
  integer function index_from_name(model, name) result(idx)
    type(tann_model), intent(in) :: model
    character(len=*), intent(in) :: name
    character(len=:), allocatable :: s
    s = trim(adjustl(name))
    idx = -1
    if (len(s) == 0) return
    idx = model_index(model, s)
    if (idx < 0 .and. len(s) >= 2) idx = model_index(model, s(1:2))
    if (idx < 0) idx = model_index(model, s(1:1))
  end function index_from_name

  function species_list(model) result(text)
    type(tann_model), intent(in) :: model
    character(len=:), allocatable :: text
    integer :: k
    text = ''
    do k = 1, model%nspecies
       text = text // trim(model%species(k))
       if (k < model%nspecies) text = text // ' '
    end do
  end function species_list

  ! ============================================================== evaluation

  !> Energy (kcal/mol) and optionally gradient dE/dx (kcal/mol/A), Tinker virial and
  !> per-atom energies of n atoms at x, y, z (Tinker's separate coordinate arrays;
  !> unwrapped is fine). lattice(i,:) = lattice vector i; absent = isolated system.
  !> Outputs are overwritten (the C API accumulates; the buffers handed to it are zeroed).
  subroutine tann_compute(model, species, x, y, z, energy, status, message, lattice, &
       gradient, virial, atom_energy)
    type(tann_model), intent(in) :: model
    integer(c_int), intent(in) :: species(:)
    real(c_double), intent(in) :: x(:), y(:), z(:)
    real(c_double), intent(out) :: energy
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    real(c_double), intent(in), optional :: lattice(3, 3)
    real(c_double), intent(out), optional :: gradient(:, :), virial(3, 3), atom_energy(:)
    real(c_double), allocatable, target :: xyz(:, :), force(:, :), eatom(:)
    real(c_double), target :: cell(3, 3), w(6)
    type(c_ptr) :: p_cell, p_force, p_eatom, p_w
    integer :: n

    n = size(species)
    message = ''
    energy = 0.0d0
    if (.not. c_associated(model%handle)) then
       status = TANN_ERR_ARGUMENT
       message = 'tann_compute: the model is not open'
       return
    end if
    if (size(x) < n .or. size(y) < n .or. size(z) < n) then
       status = TANN_ERR_ARGUMENT
       message = 'tann_compute: fewer coordinates than atoms'
       return
    end if
    allocate (xyz(3, n))
    xyz(1, :) = x(1:n)
    xyz(2, :) = y(1:n)
    xyz(3, :) = z(1:n)
    p_cell = c_null_ptr
    if (present(lattice)) then
       ! C reads 9 row-major values, rows = lattice vectors: Fortran column k = vector k.
       cell = transpose(lattice)
       p_cell = c_loc(cell)
    end if
    p_force = c_null_ptr
    if (present(gradient)) then
       allocate (force(3, n))
       force = 0.0d0
       p_force = c_loc(force)
    end if
    p_eatom = c_null_ptr
    if (present(atom_energy)) then
       allocate (eatom(n))
       eatom = 0.0d0
       p_eatom = c_loc(eatom)
    end if
    p_w = c_null_ptr
    w = 0.0d0
    if (present(virial)) p_w = c_loc(w)

    status = taylorann_compute_periodic(model%handle, int(n, c_int), xyz, species, p_cell, &
         c_null_ptr, energy, p_eatom, p_force, p_w)
    if (status /= TANN_OK) then
       message = tann_last_error_message()
       energy = 0.0d0
       return
    end if
    energy = energy * tann_ev_to_kcal
    if (present(gradient)) gradient(:, 1:n) = -tann_ev_to_kcal * force
    if (present(atom_energy)) atom_energy(1:n) = tann_ev_to_kcal * eatom
    ! C Voigt W = (xx yy zz xy xz yz), W_ab = sum r_a F_b (symmetric); Tinker's vir(a,b) = -W_ab.
    if (present(virial)) virial = -tann_ev_to_kcal * reshape([w(1), w(4), w(5), w(4), w(2), w(6), &
         w(5), w(6), w(3)], [3, 3])
  end subroutine tann_compute

  ! ======================================================= key-file handling

  !> Classifies one key-file record. For TAYLORANN-POTENTIAL returns element and path
  !> (element from the file name when omitted); for TAYLORANN-MODEL the path; for
  !> EXTRATERM its value in element. Keywords are matched case-insensitively with
  !> '_' read as '-'; a token starting with '#' ends the record.
  subroutine tann_parse_keyword(record, kind, element, path, status, message)
    character(len=*), intent(in) :: record
    integer, intent(out) :: kind
    character(len=:), allocatable, intent(out) :: element, path
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    character(len=len(record)) :: tokens(4)
    character(len=:), allocatable :: keyword
    integer :: ntok, z

    kind = TANN_KEY_OTHER
    element = ''
    path = ''
    status = TANN_OK
    message = ''
    call split(record, tokens, ntok)
    if (ntok == 0) return
    keyword = upper(trim(tokens(1)))
    keyword = replace_char(keyword, '_', '-')
    select case (keyword)
    case ('TAYLORANN-POTENTIAL')
       kind = TANN_KEY_POTENTIAL
       if (ntok == 2) then
          path = trim(tokens(2))
          element = tann_default_element(path)
          if (tann_atomic_number(element) == 0) then
             status = TANN_ERR_CONFIG
             message = 'TAYLORANN-POTENTIAL ' // path // ': the file name does not start ' // &
                  'with an element symbol; write TAYLORANN-POTENTIAL <element> ' // path
          end if
       else if (ntok == 3) then
          element = trim(tokens(2))
          path = trim(tokens(3))
          if (tann_atomic_number(element) == 0) then
             status = TANN_ERR_CONFIG
             message = 'TAYLORANN-POTENTIAL: "' // element // '" is not an element symbol'
          end if
       else
          status = TANN_ERR_CONFIG
          message = 'TAYLORANN-POTENTIAL expects "[element] file.nn.ascii", got: ' // &
               trim(adjustl(record))
       end if
       if (status == TANN_OK) then
          z = tann_atomic_number(element)
          element = trim(element_symbols(z))    ! canonical spelling: 'TI' -> 'Ti'
       end if
    case ('TAYLORANN-MODEL')
       kind = TANN_KEY_MODEL
       if (ntok == 2) then
          path = trim(tokens(2))
       else
          status = TANN_ERR_CONFIG
          message = 'TAYLORANN-MODEL expects one file name (a TorchScript .pt model), got: ' // &
               trim(adjustl(record))
       end if
    case ('EXTRATERM')
       kind = TANN_KEY_EXTRATERM
       if (ntok >= 2) element = upper(trim(tokens(2)))
    case ('TAYLORANN-EXTRAPOLATION')
       kind = TANN_KEY_EXTRAPOLATION
       if (ntok == 2) element = upper(trim(tokens(2)))
       if (ntok /= 2 .or. (element /= 'WARN' .and. element /= 'ERROR' .and. element /= 'IGNORE')) then
          status = TANN_ERR_CONFIG
          message = 'TAYLORANN-EXTRAPOLATION expects WARN, ERROR or IGNORE, got: ' // trim(adjustl(record))
       end if
    end select
  end subroutine tann_parse_keyword

  !> What kextra does, on plain arrays: reads the taylorann keywords among the key-file
  !> records, opens the model and maps the n atoms to species. Without any taylorann
  !> keyword the hooks stay inactive (status OK), unless EXTRATERM asks for the extra term.
  subroutine tann_configure(host, records, atomic, names, status, message)
    type(tann_host_state), intent(inout) :: host
    character(len=*), intent(in) :: records(:)
    integer, intent(in) :: atomic(:)
    character(len=*), intent(in) :: names(:)
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    character(len=len(records)), allocatable :: elements(:), paths(:)
    character(len=:), allocatable :: element, path, model_path, extraterm
    integer :: k, kind, npot, nmodel, mode
    logical :: extra_wanted

    call tann_host_reset(host)
    allocate (elements(size(records)), paths(size(records)))
    npot = 0
    nmodel = 0
    extraterm = ''
    extra_wanted = .false.
    model_path = ''
    mode = TANN_EXTRAPOLATION_WARN
    do k = 1, size(records)
       call tann_parse_keyword(records(k), kind, element, path, status, message)
       if (status /= TANN_OK) return
       select case (kind)
       case (TANN_KEY_POTENTIAL)
          npot = npot + 1
          elements(npot) = element
          paths(npot) = path
       case (TANN_KEY_MODEL)
          nmodel = nmodel + 1
          model_path = path
       case (TANN_KEY_EXTRATERM)
          extraterm = element                 ! Tinker: the last EXTRATERM record wins
          extra_wanted = extraterm /= 'NONE'
       case (TANN_KEY_EXTRAPOLATION)
          select case (element)
          case ('IGNORE')
             mode = TANN_EXTRAPOLATION_IGNORE
          case ('ERROR')
             mode = TANN_EXTRAPOLATION_ERROR
          case default
             mode = TANN_EXTRAPOLATION_WARN
          end select
       end select
    end do

    status = TANN_ERR_CONFIG
    if (npot == 0 .and. nmodel == 0) then
       if (extra_wanted) then
          message = trim('EXTRATERM ' // extraterm) // ' is set but no taylorann potential is ' // &
               'given: add TAYLORANN-POTENTIAL [El] file.nn.ascii (one per element) or ' // &
               'TAYLORANN-MODEL file.pt'
          return
       end if
       status = TANN_OK
       return
    end if
    if (npot > 0 .and. nmodel > 0) then
       message = 'TAYLORANN-MODEL and TAYLORANN-POTENTIAL cannot be combined: give either ' // &
            'one .pt model or one .nn.ascii file per element'
       return
    end if
    if (nmodel > 1) then
       message = 'TAYLORANN-MODEL is given more than once'
       return
    end if

    if (nmodel == 1) then
       call tann_open(host%model, [model_path], status, message)
    else
       call tann_open_pairs(host%model, elements(1:npot), paths(1:npot), status, message)
    end if
    if (status /= TANN_OK) return
    allocate (host%species(size(atomic)))
    call tann_species_indices(host%model, atomic, names, host%species, status, message)
    if (status /= TANN_OK) then
       call tann_host_reset(host)
       return
    end if
    host%extrapolation = mode
    host%active = .true.
  end subroutine tann_configure

  !> Forgets the configured model (the hooks become inactive).
  subroutine tann_host_reset(host)
    type(tann_host_state), intent(inout) :: host
    call tann_close(host%model)
    if (allocated(host%species)) deallocate (host%species)
    host%active = .false.
    host%extrapolation = TANN_EXTRAPOLATION_WARN
    host%ranges_known = .true.
    host%last_outside = 0
    host%outside_total = 0
    host%outside_evaluations = 0
  end subroutine tann_host_reset

  !> What extra/extra1/extra3 do: evaluate the configured model on Tinker's coordinates.
  !> periodic selects lattice (Tinker's lvec) or an isolated system.
  subroutine tann_host_evaluate(host, x, y, z, periodic, lattice, energy, status, message, &
       gradient, virial, atom_energy)
    type(tann_host_state), intent(inout) :: host
    real(c_double), intent(in) :: x(:), y(:), z(:)
    logical, intent(in) :: periodic
    real(c_double), intent(in) :: lattice(3, 3)
    real(c_double), intent(out) :: energy
    integer, intent(out) :: status
    character(len=:), allocatable, intent(out) :: message
    real(c_double), intent(out), optional :: gradient(:, :), virial(3, 3), atom_energy(:)

    if (.not. host%active) then
       status = TANN_ERR_ARGUMENT
       message = 'taylorann: no model configured'
       energy = 0.0d0
       return
    end if
    if (periodic) then
       call tann_compute(host%model, host%species, x, y, z, energy, status, message, &
            lattice=lattice, gradient=gradient, virial=virial, atom_energy=atom_energy)
    else
       call tann_compute(host%model, host%species, x, y, z, energy, status, message, &
            gradient=gradient, virial=virial, atom_energy=atom_energy)
    end if
    if (status == TANN_OK) call check_extrapolation(host, status, message)
  end subroutine tann_host_evaluate

  !> After an evaluation: counts the atoms whose descriptor left the training range and
  !> warns (the first 10 evaluations with such atoms, then every 1000th) or fails.
  subroutine check_extrapolation(host, status, message)
    use, intrinsic :: iso_fortran_env, only: output_unit
    type(tann_host_state), intent(inout) :: host
    integer, intent(inout) :: status
    character(len=:), allocatable, intent(inout) :: message
    integer(c_int64_t) :: count
    integer :: rc

    if (.not. host%ranges_known) return
    rc = taylorann_extrapolation(host%model%handle, count, c_null_ptr, 0_c_int64_t)
    if (rc == TANN_ERR_UNSUPPORTED) then             ! TorchScript: say so once
       host%ranges_known = .false.
       if (host%extrapolation /= TANN_EXTRAPOLATION_IGNORE) write (output_unit, '(a)') &
            ' taylorann: this TorchScript model does not report descriptor ranges: no ' // &
            'extrapolation detection (the .nn.ascii or .nn files of the potential have it)'
       return
    end if
    if (rc /= TANN_OK) then
       status = rc
       message = tann_last_error_message()
       return
    end if
    host%last_outside = count
    if (count == 0) return
    host%outside_total = host%outside_total + count
    host%outside_evaluations = host%outside_evaluations + 1
    select case (host%extrapolation)
    case (TANN_EXTRAPOLATION_ERROR)
       status = TANN_ERR_EXTRAPOLATION
       message = 'taylorann: ' // itoa(int(count)) // ' atoms outside the training range of the ' // &
            'descriptors (stopping: TAYLORANN-EXTRAPOLATION ERROR)'
    case (TANN_EXTRAPOLATION_WARN)
       if (host%outside_evaluations <= 10 .or. mod(host%outside_evaluations, 1000_c_int64_t) == 0) &
            write (output_unit, '(a)') ' taylorann: warning: ' // itoa(int(count)) // ' atoms outside ' // &
            'the training range of the descriptors: energies and forces are extrapolated (' // &
            itoa(int(host%outside_evaluations)) // ' such evaluations so far)'
    end select
  end subroutine check_extrapolation

  ! ================================================================ helpers

  pure logical function same_symbol(a, b)
    character(len=*), intent(in) :: a, b
    same_symbol = upper(trim(adjustl(a))) == upper(trim(adjustl(b)))
  end function same_symbol

  pure function upper(s) result(u)
    character(len=*), intent(in) :: s
    character(len=len(s)) :: u
    integer :: i, c
    u = s
    do i = 1, len(s)
       c = iachar(s(i:i))
       if (c >= iachar('a') .and. c <= iachar('z')) u(i:i) = achar(c - 32)
    end do
  end function upper

  pure function replace_char(s, old, new) result(r)
    character(len=*), intent(in) :: s
    character(len=1), intent(in) :: old, new
    character(len=len(s)) :: r
    integer :: i
    r = s
    do i = 1, len(s)
       if (r(i:i) == old) r(i:i) = new
    end do
  end function replace_char

  ! Splits on blanks and tabs into at most size(tokens) tokens; ntok counts all tokens
  ! (so callers detect extra ones). A token starting with '#' ends the record.
  subroutine split(record, tokens, ntok)
    character(len=*), intent(in) :: record
    character(len=*), intent(out) :: tokens(:)
    integer, intent(out) :: ntok
    integer :: i, start
    logical :: blank
    ntok = 0
    tokens = ''
    i = 1
    do while (i <= len(record))
       blank = record(i:i) == ' ' .or. record(i:i) == achar(9)
       if (blank) then
          i = i + 1
          cycle
       end if
       if (record(i:i) == '#') return
       start = i
       do while (i <= len(record))
          if (record(i:i) == ' ' .or. record(i:i) == achar(9)) exit
          i = i + 1
       end do
       ntok = ntok + 1
       if (ntok <= size(tokens)) tokens(ntok) = record(start:i - 1)
    end do
  end subroutine split

  pure function itoa(i) result(s)
    integer, intent(in) :: i
    character(len=:), allocatable :: s
    character(len=16) :: buf
    write (buf, '(i0)') i
    s = trim(buf)
  end function itoa

end module taylorann_tinker
